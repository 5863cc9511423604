// The attacker's side of the TFTP flood test, run inside its own namespace: from many
// source addresses, new request ports every round, RRQs asking the largest timeout, block
// and window, whose DATA nobody ever acknowledges (spoofed or abandoned transfers).
// Usage: node --import tsx tftp-flooder.ts '{"server":"…","sources":["…"],"rounds":N,"roundMs":M,"file":"…"}'
import { createSocket, type Socket } from 'node:dgram';
import { encode } from '../../src/pxe/tftp/codec.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as { server: string; sources: string[]; rounds: number; roundMs: number; file: string };
const rrq = encode({ op: 'rrq', filename: args.file, mode: 'octet', options: new Map([['timeout', '255'], ['blksize', '65464'], ['windowsize', '65535'], ['tsize', '0']]) });
const sockets: Socket[] = [];
const replies = { data: 0, oack: 0, errors: new Map<string, number>() };
let sent = 0;
for (let round = 0; round < args.rounds; round++) {
  for (const source of args.sources) {
    const socket = createSocket('udp4');
    // Kept open and never acknowledging: the server sees no ICMP, only silence.
    socket.on('message', (msg) => {
      const op = msg.readUInt16BE(0);
      if (op === 3) replies.data++;
      else if (op === 6) replies.oack++;
      else if (op === 5) {
        const text = msg.subarray(4, msg.indexOf(0, 4)).toString().replace(/[0-9.]+/g, 'N');
        replies.errors.set(text, (replies.errors.get(text) ?? 0) + 1);
      }
    });
    await new Promise<void>((resolve) => socket.bind(0, source, () => resolve()));
    sockets.push(socket);
    socket.send(rrq, 69, args.server);
    sent++;
  }
  await new Promise((resolve) => setTimeout(resolve, args.roundMs));
}
process.stdout.write(`${JSON.stringify({ sent, sockets: sockets.length, data: replies.data, oack: replies.oack, errors: Object.fromEntries(replies.errors) })}\n`);
for (const socket of sockets) socket.close();
