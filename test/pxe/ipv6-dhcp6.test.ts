// IPv6 without a guest: on an IPv6-only bridge (no IPv4 address anywhere), `pxe serve` answers
// a Linux client's router solicitation with the on-link prefix and DHCPv6 flags, and Kea's
// perfdhcp completes stateful DHCPv6 exchanges (Solicit/Advertise/Request/Reply) with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNodeNamespace, ip, netnsUnavailable, type Namespace } from '../helpers/netns.ts';
import { startPxeServe } from '../helpers/pxe.ts';

const skip = await netnsUnavailable();
const PREFIX = 'fd00:100::';

/** Waits until the client's link-local address has passed duplicate address detection. */
async function linkLocalReady(ns: Namespace, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await ns.exec('ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'link']);
    if (/fe80::/.test(stdout) && !/tentative/.test(stdout)) return stdout;
    if (Date.now() > deadline) throw new Error(`expected a usable link-local address on eth0 within ${timeoutMs} ms, found: ${stdout}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function ipv6OnlyNode(t: Parameters<typeof createNodeNamespace>[0]) {
  const node = await createNodeNamespace(t);
  await ip('-n', node.name, '-6', 'addr', 'add', `${PREFIX}1/64`, 'dev', node.bridge, 'nodad');
  return node;
}

test('stateless: a Linux client gets the on-link prefix by SLAAC from the answer (O flag, no default route), and the server has no IPv4 at all', { skip, timeout: 90_000 }, async (t) => {
  const node = await ipv6OnlyNode(t);
  const pxe = await startPxeServe(t, node, { interface: node.bridge, ipv6: { address: `${PREFIX}1/64` } });
  assert.equal(pxe.lines.find((l) => l.msg === 'ready')?.dhcp6Mode, 'stateless');
  const client = await node.addClient({ mac: 'de:00:00:00:06:01' });
  await client.exec('sysctl', ['-qw', 'net.ipv6.conf.eth0.accept_ra=2']);
  await linkLocalReady(client);
  // A fresh solicitation now that the link-local address is usable (the kernel's first may predate it).
  await client.exec('ip', ['link', 'set', 'eth0', 'down']);
  await client.exec('ip', ['link', 'set', 'eth0', 'up']);
  const ra = await pxe.waitForLog((l) => l.proto === 'ndp' && l.event === 'ra' && l.mac === 'de:00:00:00:06:01', 'an answer to the client', 30_000);
  assert.equal(ra.other, true, 'O flag: stateless DHCPv6');
  assert.equal(ra.managed, undefined, 'no M flag in stateless mode');
  const deadline = Date.now() + 20_000;
  let addrs = '';
  while (Date.now() < deadline && !/fd00:100::dc00:ff:fe00:601/.test(addrs)) {
    addrs = (await client.exec('ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(addrs, /fd00:100::dc00:ff:fe00:601\/64/, 'SLAAC address from the advertised prefix');
  const routes = (await client.exec('ip', ['-6', 'route'])).stdout;
  assert.match(routes, /fd00:100::\/64 dev eth0/, 'the prefix is on-link');
  assert.doesNotMatch(routes, /^default/m, 'router lifetime 0: no default route');
});

test('stateful: perfdhcp -6 completes Solicit/Advertise/Request/Reply for many clients from the range; malformed packets are dropped and logged', { skip, timeout: 120_000 }, async (t) => {
  const node = await ipv6OnlyNode(t);
  const pxe = await startPxeServe(t, node, { interface: node.bridge, ipv6: { address: `${PREFIX}1/64`, dhcp: { mode: 'stateful', range: `${PREFIX}1000-${PREFIX}1fff` } } });
  const client = await node.addClient();
  await linkLocalReady(client);
  // 20 clients (perfdhcp varies the DUID), 4-way exchanges, then stop.
  const run = await client
    .exec('perfdhcp', ['-6', '-l', 'eth0', '-r', '10', '-R', '20', '-n', '20', '-p', '20', 'all'], { timeoutMs: 60_000 })
    .catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) }));
  const out = `${run.stdout}\n${run.stderr}`;
  const received = (section: string) => Number(new RegExp(`Statistics for: ${section}\\*\\*\\*[\\s\\S]*?received packets: (\\d+)`).exec(out)?.[1] ?? NaN);
  assert.ok(received('SOLICIT-ADVERTISE') >= 15, `advertises received:\n${out}`);
  assert.ok(received('REQUEST-REPLY') >= 15, `replies received:\n${out}`);
  const replies = pxe.lines.filter((l) => l.proto === 'dhcp6' && l.event === 'reply' && typeof l.ip === 'string');
  assert.ok(replies.length >= 15, `replies logged with addresses: ${replies.length}`);
  for (const r of replies) assert.match(String(r.ip), /^fd00:100::1[0-9a-f]{3}$/, 'addresses come from the range');
  assert.equal(new Set(replies.map((r) => r.ip)).size, new Set(replies.map((r) => r.xid)).size, 'distinct clients, distinct addresses');

  // A truncated packet to the server's port: logged as malformed, and the server keeps answering.
  await client.exec('python3', ['-c', `import socket;s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);s.sendto(b'\\x01\\x00\\x00\\x00\\x00\\x01\\x00\\x09',('ff02::1:2',547,0,socket.if_nametoindex('eth0')))`]);
  await pxe.waitForLog((l) => l.msg === 'malformed DHCPv6 packet', 'the malformed packet logged', 10_000);
});
