// The client side of the boot storm, run inside a client namespace: N simulated PXE
// clients at once, each doing DHCP (as a relay agent would, from this host's address),
// a TFTP download and an HTTP download, as a network-booting machine does.
import { createSocket } from 'node:dgram';
import { get } from 'node:http';
import { decode, encode, type DhcpPacket } from '../src/pxe/dhcp/codec.ts';
import { MessageType, Opt, addresses, getAddress, getMessageType, text, u8 } from '../src/pxe/dhcp/options.ts';
import { tftpGet } from '../test/helpers/tftp-client.ts';

interface Args {
  clients: number;
  relay: string;
  server: string;
  httpPort: number;
  tftpFile: string;
  httpFile: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const sock = createSocket({ type: 'udp4', reuseAddr: true });
const waiting = new Map<number, (p: DhcpPacket) => void>();
sock.on('message', (msg) => {
  try {
    const p = decode(msg);
    waiting.get(p.xid)?.(p);
  } catch {
    /* not ours */
  }
});
await new Promise<void>((resolve) => sock.bind(67, args.relay, resolve));

function packet(mac: Buffer, xid: number, type: number, extra: Array<[number, Buffer]>): Buffer {
  return encode({
    op: 1, htype: 1, hlen: 6, hops: 1, xid, secs: 0, flags: 0,
    ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: args.relay,
    chaddr: mac, sname: '', file: '',
    options: new Map<number, Buffer>([
      [Opt.messageType, u8(type)],
      [Opt.vendorClass, text('PXEClient:Arch:00000:UNDI:002001')],
      [Opt.clientArch, Buffer.from([0, 0])],
      ...extra,
    ]),
  });
}

/** Sends and waits for a reply of the wanted type, retransmitting every 2 s, 5 tries. */
async function exchange(msg: Buffer, xid: number, want: number): Promise<DhcpPacket> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const reply = await new Promise<DhcpPacket | undefined>((resolve) => {
      const timer = setTimeout(() => (waiting.delete(xid), resolve(undefined)), 2000);
      waiting.set(xid, (p) => {
        if (getMessageType(p.options) === want) (clearTimeout(timer), waiting.delete(xid), resolve(p));
      });
      sock.send(msg, 67, args.server);
    });
    if (reply) return reply;
  }
  throw new Error(`no DHCP message type ${want} for xid ${xid} after 5 tries`);
}

function httpDownload(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: args.server, port: args.httpPort, path, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode} for ${path}`));
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function client(i: number): Promise<{ ms: number; dhcpMs: number; tftpMs: number; httpMs: number }> {
  const mac = Buffer.from([0x02, 0x5b, 0, 0, (i >> 8) & 255, i & 255]);
  const xid = (0x5b000000 + i) >>> 0;
  const t0 = performance.now();
  const offer = await exchange(packet(mac, xid, MessageType.discover, []), xid, MessageType.offer);
  const serverId = getAddress(offer.options, Opt.serverId) ?? args.server;
  await exchange(packet(mac, xid, MessageType.request, [[Opt.requestedAddress, addresses(offer.yiaddr)], [Opt.serverId, addresses(serverId)]]), xid, MessageType.ack);
  const t1 = performance.now();
  const got = await tftpGet(args.server, 69, args.tftpFile, { blksize: '1468', tsize: '0' }, { retryMs: 1000, retries: 10 });
  if (got.error) throw new Error(`TFTP error ${got.error.code}: ${got.error.message}`);
  const t2 = performance.now();
  await httpDownload(`/files/${args.httpFile}`);
  const t3 = performance.now();
  return { ms: t3 - t0, dhcpMs: t1 - t0, tftpMs: t2 - t1, httpMs: t3 - t2 };
}

const started = performance.now();
const results = await Promise.allSettled(Array.from({ length: args.clients }, (_, i) => client(i)));
const totalMs = performance.now() - started;
sock.close();
const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message ?? r.reason)] : []));
const pct = (list: number[], p: number) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0) : 0;
};
const ms = ok.map((r) => r.ms);
process.stdout.write(
  `${JSON.stringify({
    clients: args.clients,
    completed: ok.length,
    failures: failures.slice(0, 5),
    lastMs: Math.round(totalMs),
    p50Ms: Math.round(pct(ms, 50)),
    p99Ms: Math.round(pct(ms, 99)),
    p50DhcpMs: Math.round(pct(ok.map((r) => r.dhcpMs), 50)),
    p50TftpMs: Math.round(pct(ok.map((r) => r.tftpMs), 50)),
    p50HttpMs: Math.round(pct(ok.map((r) => r.httpMs), 50)),
  })}\n`,
);
