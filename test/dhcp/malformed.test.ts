// A corpus of malformed packets against a running server: it logs them, stays up, and a
// normal client still gets a lease afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encode } from '../../src/pxe/dhcp/codec.ts';
import { clientPacket } from '../../src/pxe/dhcp/test-packets.ts';
import { createNodeNamespace, netnsUnavailable } from '../helpers/netns.ts';
import { scratchDir, startDhcpProcess, testConfig } from './server-process.ts';

const skip = await netnsUnavailable();

function corpus(): Buffer[] {
  const valid = encode(clientPacket('discover', { mac: '02:00:00:00:66:01', arch: 7, ipxe: true, hostname: 'fuzz' }));
  const out: Buffer[] = [];
  for (let n = 0; n < valid.length; n++) out.push(valid.subarray(0, n)); // truncated at every length
  for (let at = 240; at < 300; at++) {
    const b = Buffer.from(valid);
    b[at] = 0xfe; // an option length (or code) that runs past the end
    out.push(b);
  }
  const overload = Buffer.from(valid);
  overload.set([52, 1, 3, 255], 240);
  overload.set([12, 200, 1, 2], 108); // the file field holds an option overflowing it
  out.push(overload);
  const header = (patch: (b: Buffer) => void) => {
    const b = Buffer.from(valid);
    patch(b);
    return b;
  };
  out.push(header((b) => (b[2] = 17)), header((b) => (b[2] = 255)), header((b) => b.writeUInt32BE(0, 236)), header((b) => (b[0] = 2)), header((b) => b.set([53, 1, 99, 255], 240)));
  const huge = Buffer.alloc(65_507, 0x2a);
  valid.copy(huge, 0, 0, 240);
  out.push(huge); // 64 KiB of options that never end properly
  for (let i = 0; i < 200; i++) out.push(randomBytes(1 + (i * 37) % 1400));
  return out;
}

// Sends each packet (a JSON list of base64) to the server's 67 and 4011, pacing to keep socket buffers sane.
const SENDER = `
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
const packets = JSON.parse(readFileSync(process.argv[2], 'utf8')).map((l) => Buffer.from(l, 'base64'));
const s = createSocket('udp4');
await new Promise((r) => s.bind(0, r));
s.setBroadcast(true);
let sent = 0;
for (const [i, p] of packets.entries()) {
  for (const [host, port] of [['192.168.100.1', 67], ['192.168.100.255', 67], ['192.168.100.1', 4011]]) {
    await new Promise((r) => s.send(p, port, host, () => r()));
    sent++;
  }
  if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
}
console.log('sent ' + sent);
s.close();
`;

test('survives a corpus of malformed packets and still leases to a normal client', { skip, timeout: 180_000 }, async (t) => {
  const dir = await scratchDir(t);
  const root = join(dir, 'root');
  await mkdir(root);
  const ns = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  const server = await startDhcpProcess(ns, testConfig(root), join(dir, 'state'));
  t.after(() => server.stop());

  const packets = corpus();
  await writeFile(join(dir, 'corpus.json'), JSON.stringify(packets.map((p) => p.toString('base64'))));
  await writeFile(join(dir, 'send.mjs'), SENDER);
  const attacker = await ns.addClient({ mac: '02:00:00:00:66:02', address: '192.168.100.3/24' });
  const { stdout } = await attacker.exec(process.execPath, [join(dir, 'send.mjs'), join(dir, 'corpus.json')], { timeoutMs: 120_000 });
  assert.equal(stdout.trim(), `sent ${packets.length * 3}`);

  const script = join(dir, 'udhcpc.sh');
  await writeFile(script, '#!/bin/sh\necho "EVENT=$1 ip=$ip"\n');
  await chmod(script, 0o755);
  const client = await ns.addClient({ mac: '02:00:00:00:66:03' });
  const { stdout: dhcp } = await client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-t', '5', '-T', '2', '-i', 'eth0', '-s', script], { timeoutMs: 60_000 });
  assert.match(dhcp, /EVENT=bound ip=192\.168\.100\.\d+/);

  // Logged at most 10 a second (issue 13: the log is not a disk-filling channel); every one counted.
  const malformed = server.lines.filter((l) => l.msg === 'malformed DHCP packet');
  assert.ok(malformed.length >= 10, `expected the malformed packets to be logged, found ${malformed.length} lines`);
  const { stdout: metrics } = await ns.exec('curl', ['-sf', '--max-time', '10', 'http://192.168.100.1:8080/metrics']);
  const counted = Number(/pxevirt_pxe_errors_total\{proto="dhcp",kind="malformed"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  assert.ok(counted > 100 && counted > malformed.length, `expected over 100 malformed packets counted in /metrics, found ${counted} (${malformed.length} logged)`);
  assert.ok(malformed.every((l) => typeof l.reason === 'string' && /expected .* found/.test(l.reason)), 'every malformed line says what was expected and found');
  assert.equal(server.lines.filter((l) => l.level === 50 || l.level === 60).length, 0, 'no error-level log lines');
});
