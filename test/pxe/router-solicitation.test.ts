// The PXE server's answer to IPv6 router solicitations, seen by real clients: rdisc6 (ndisc6)
// gets an advertisement with router lifetime 0 and no prefix; with radvd on the segment, or with
// the answer turned off, only radvd (or nothing) answers. The guest side is in ipv6-guest.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeNamespace, netnsUnavailable, type Namespace } from '../helpers/netns.ts';
import { startPxeServe, tempDir } from '../helpers/pxe.ts';

const skip = await netnsUnavailable();
const config = (answer?: boolean) => ({
  interface: 'br0',
  address: '192.168.100.1/24',
  dhcp: { mode: 'off' },
  http: { port: 8080 },
  ...(answer === undefined ? {} : { ipv6: { answerRouterSolicitations: answer } }),
});

/** rdisc6 solicits and prints every advertisement within its wait; exit 2 when none came. */
async function solicit(client: Namespace): Promise<string> {
  const out = await client.exec('rdisc6', ['-m', '-r', '2', '-w', '1500', 'eth0'], { timeoutMs: 30_000 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  return out.stdout;
}

/** The client's IPv6 link-local address is usable once DAD is done. */
async function linkReady(client: Namespace): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { stdout } = await client.exec('ip', ['-6', 'addr', 'show', 'dev', 'eth0']);
    if (/scope link/.test(stdout) && !/tentative/.test(stdout)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('client link-local address stayed tentative');
}

test('a router solicitation gets an advertisement that makes no default router and carries no prefix', { skip, timeout: 120_000 }, async (t) => {
  const node = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  const client = await node.addClient({ mac: '02:00:00:00:66:01' });
  const pxe = await startPxeServe(t, node, config());
  await linkReady(client);
  const out = await solicit(client);
  assert.match(out, /Router lifetime\s*:\s*0 \(0x00000000\) seconds/, `rdisc6 saw our advertisement:\n${out}`);
  assert.match(out, /Stateful address conf\.\s*:\s*No/);
  assert.match(out, /Stateful other conf\.\s*:\s*No/);
  assert.doesNotMatch(out, /Prefix\s*:/, 'no prefix information');
  assert.doesNotMatch(out, /MTU\s*:|Recursive DNS/, 'no other options');
  await pxe.waitForLog((l) => l.proto === 'ndp' && l.event === 'ra', 'the RA in the log', 5000);
});

test('silent when another router answers on the segment (radvd), and when turned off', { skip, timeout: 120_000 }, async (t) => {
  const node = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  const client = await node.addClient({ mac: '02:00:00:00:66:02' });
  const router = await node.addClient({ mac: '02:00:00:00:66:fe' }); // another router on the segment
  const dir = await tempDir(t);
  const conf = join(dir, 'radvd.conf');
  await writeFile(conf, 'interface eth0 {\n  AdvSendAdvert on;\n  AdvDefaultLifetime 0;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n  AdvCurHopLimit 63;\n};\n');
  await router.exec('sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']); // radvd refuses to run otherwise (that namespace only)
  router.spawn('radvd', ['-n', '-C', conf, '-p', join(dir, 'radvd.pid'), '-m', 'stderr']);
  const pxe = await startPxeServe(t, node, config());
  await pxe.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('another router answers on br0'), 'radvd noticed', 20_000);
  await linkReady(client);
  const out = await solicit(client);
  assert.match(out, /Hop limit\s*:\s*63/, `radvd answered:\n${out}`);
  assert.doesNotMatch(out, /Hop limit\s*:\s*undefined|Hop limit\s*:\s*0 /, 'our (hop limit 0) advertisement did not');
  await pxe.waitForLog((l) => l.proto === 'ndp' && l.event === 'rs-left-to-router', 'the solicitation left to radvd', 5000);
  // Before radvd's first advertisement the client's own link-up solicitation may have been
  // answered (nothing else was there yet); from the moment radvd is heard, pxevirt is silent.
  const heard = pxe.lines.findIndex((l) => typeof l.msg === 'string' && l.msg.startsWith('another router answers on br0'));
  assert.ok(!pxe.lines.slice(heard).some((l) => l.proto === 'ndp' && l.event === 'ra'), 'no RA sent by pxevirt once radvd was heard');

  const off = await createNodeNamespace(t, { bridge: 'br0', address: '192.168.100.1/24' });
  const offClient = await off.addClient({ mac: '02:00:00:00:66:03' });
  const quiet = await startPxeServe(t, off, config(false));
  await linkReady(offClient);
  assert.equal((await solicit(offClient)).match(/Router lifetime/g), null, 'no advertisement when turned off');
  assert.ok(!quiet.lines.some((l) => l.proto === 'ndp'), 'no NDP activity when turned off');
});
