// A minimal TFTP read client for tests of pxevirt's own server (the real-client tests use
// atftp and curl). Handles OACK, windowsize and block-number rollover.
import { createSocket, type RemoteInfo } from 'node:dgram';
import { decode, encode, type TftpPacket } from '../../src/pxe/tftp/codec.ts';

export interface GetResult {
  data: Buffer;
  oack?: Map<string, string>;
  error?: { code: number; message: string };
  /** The server's transfer port (its TID). */
  tid?: number;
}

/** Downloads `name` from host:port; resolves with the data or the server's ERROR. */
export function tftpGet(
  host: string,
  port: number,
  name: string,
  options: Record<string, string> = {},
  hooks: { onPacket?: (packet: TftpPacket, from: RemoteInfo) => void; retryMs?: number; retries?: number } = {},
): Promise<GetResult> {
  const socket = createSocket('udp4');
  const chunks: Buffer[] = [];
  const blksize = Number(options.blksize ?? 512);
  let windowsize = 1;
  let expected = 1;
  let inWindow = 0;
  let tid: number | undefined;
  let oack: Map<string, string> | undefined;
  let last: Buffer = encode({ op: 'rrq', filename: name, mode: 'octet', options: new Map(Object.entries(options)) });
  let lastTo = port;
  let tries = 0;
  let negotiatedBlksize = blksize;
  return new Promise<GetResult>((resolve, reject) => {
    let finished = false;
    const finish = (result: GetResult | Error) => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      // Close once what was sent (the final ACK) has left.
      void flushed.then(() => socket.close());
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    let flushed = Promise.resolve();
    const send = (buf: Buffer, to: number) => {
      last = buf;
      lastTo = to;
      flushed = new Promise((done) => socket.send(buf, to, host, () => done()));
    };
    const timer = setInterval(() => {
      if (++tries > (hooks.retries ?? 20)) return finish(new Error(`no answer from ${host}:${port} for ${name} after ${tries - 1} retries`));
      socket.send(last, lastTo, host);
    }, hooks.retryMs ?? 300);
    socket.on('error', (err) => finish(err));
    socket.on('message', (msg, rinfo) => {
      let packet: TftpPacket;
      try {
        packet = decode(msg);
      } catch (err) {
        return finish(err as Error);
      }
      hooks.onPacket?.(packet, rinfo);
      tid ??= rinfo.port;
      if (rinfo.port !== tid) return;
      tries = 0;
      if (packet.op === 'error') return finish({ data: Buffer.concat(chunks), tid, ...(oack ? { oack } : {}), error: { code: packet.code, message: packet.message } });
      if (packet.op === 'oack') {
        oack = packet.options;
        negotiatedBlksize = Number(oack.get('blksize') ?? 512);
        windowsize = Number(oack.get('windowsize') ?? 1);
        return send(encode({ op: 'ack', block: 0 }), tid);
      }
      if (packet.op !== 'data') return;
      if (packet.block !== expected) {
        // Out of order: tell the server the last block we have (RFC 7440).
        inWindow = 0;
        return send(encode({ op: 'ack', block: (expected - 1) & 0xffff }), tid);
      }
      chunks.push(Buffer.from(packet.data));
      expected = (expected + 1) & 0xffff;
      inWindow++;
      const lastBlock = packet.data.length < negotiatedBlksize;
      if (lastBlock || inWindow >= windowsize) {
        inWindow = 0;
        send(encode({ op: 'ack', block: packet.block }), tid);
      }
      if (lastBlock) finish({ data: Buffer.concat(chunks), tid, ...(oack ? { oack } : {}) });
    });
    socket.bind(0, host.startsWith('127.') ? '127.0.0.1' : '0.0.0.0', () => send(last, port));
  });
}
