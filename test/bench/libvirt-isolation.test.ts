// The benchmark's libvirtd (bench/libvirt-isolated.ts) is walled off from the shared host: even
// a libvirt network it is told to start makes its bridge (and any firewall chain) only inside
// the daemon's own namespace, the host keeps no libvirt state, and stop() leaves no process,
// namespace or file behind. No guest is booted: a couple of seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { libvirtUnavailable, startIsolatedLibvirt } from '../../bench/libvirt-isolated.ts';

const run = promisify(execFile);
const skip = await libvirtUnavailable();
const links = async (netns?: string) => (await run('ip', [...(netns ? ['-n', netns] : []), '-o', 'link', 'show'])).stdout.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]).filter((n): n is string => n !== undefined);
const iptablesSave = async (netns?: string) => (await run(netns ? 'ip' : 'iptables-save', netns ? ['netns', 'exec', netns, 'iptables-save'] : [])).stdout;
// iptables-save's comment lines carry the time it ran.
const hostIptables = async () => (await iptablesSave()).split('\n').filter((l) => !l.startsWith('#')).join('\n');

test('the isolated libvirtd: its networks and firewall stay in its namespace; stop() leaves nothing', { skip, timeout: 120_000 }, async (t) => {
  const hostRulesBefore = await hostIptables();
  const lv = await startIsolatedLibvirt(t);

  // Nothing of its own: no `default` network, no pool, no domain.
  assert.equal((await lv.virsh(['net-list', '--all', '--name'])).trim(), '', 'no network is defined');
  assert.equal((await lv.virsh(['list', '--all', '--name'])).trim(), '', 'no domain is defined');
  assert.equal((await lv.virsh(['pool-list', '--all', '--name'])).trim(), '', 'no storage pool is defined');
  assert.deepEqual(await links(lv.netns), ['lo'], 'its network namespace has only lo');
  for (const ns of ['net', 'mnt'] as const) {
    assert.notEqual(await readlink(`/proc/${lv.pid}/ns/${ns}`), await readlink(`/proc/self/ns/${ns}`), `libvirtd runs in a ${ns} namespace of its own`);
  }
  const mounts = await readFile(`/proc/${lv.pid}/mountinfo`, 'utf8');
  for (const at of ['/run', '/var/lib', '/var/cache', '/var/log', '/etc/libvirt']) assert.match(mounts, new RegExp(` ${at} `), `${at} is private to libvirtd`);
  assert.equal(existsSync('/run/libvirt') || existsSync('/var/lib/libvirt'), false, 'no libvirt state on the host');

  // A network started by this libvirtd: its bridge exists in the daemon's namespace only.
  const xml = join(lv.dir, 'net.xml');
  await writeFile(xml, "<network><name>isolation</name><bridge name='pxlvbr0'/></network>\n");
  await lv.virsh(['net-create', xml]);
  assert.ok((await links(lv.netns)).includes('pxlvbr0'), 'the bridge is in the daemon\'s namespace');
  assert.equal((await links()).includes('pxlvbr0'), false, 'the host has no such bridge');
  assert.equal((await links()).some((n) => n.startsWith('virbr')), false, 'the host has no virbr interface');
  const nsRules = await iptablesSave(lv.netns);
  assert.equal(await hostIptables(), hostRulesBefore, `the host's iptables rules are unchanged (the namespace's: ${nsRules.split('\n').filter((l) => l.includes('LIBVIRT')).length} LIBVIRT lines)`);

  const { pid, netns, dir } = lv;
  await lv.stop();
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'libvirtd is gone');
  assert.equal((await readdir('/run/netns')).includes(netns), false, 'its namespace is deleted');
  assert.equal(existsSync(dir), false, 'its work dir is removed');
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    assert.equal(argv.includes(dir), false, `process ${entry} still names the work dir: ${argv.replace(/\0/g, ' ')}`);
  }
});
