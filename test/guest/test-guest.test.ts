// The test guest boots by direct kernel boot on a tap in a node namespace: its init prints
// the marker, brings up every NIC, runs DHCP and leaves a working shell on the console.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildTestGuest, testGuestUnavailable } from '../../scripts/test-guest.ts';
import { createNodeNamespace, netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable, startGuest } from '../helpers/qemu.ts';

const NAME = 'test-guest';
const skip = (await netnsUnavailable()) ?? (await qemuUnavailable({ taps: true })) ?? (await testGuestUnavailable());

test('reuses a built guest until an input (here the module list) changes', { skip: await testGuestUnavailable() }, async (t) => {
  const outDir = await mkdtemp(join(tmpdir(), 'pxevirt-guest-'));
  t.after(() => rm(outDir, { recursive: true, force: true }));
  const stamp = async () => JSON.parse(await readFile(join(outDir, 'stamp.json'), 'utf8')) as { builtAt: string; modules: string[] };
  const first = await buildTestGuest({ name: 'cache-check', outDir, modules: ['virtio_pci', 'virtio_net'] });
  const built = await stamp();
  const initrdTime = (await stat(first.initrd)).mtimeMs;
  await buildTestGuest({ name: 'cache-check', outDir, modules: ['virtio_pci', 'virtio_net'] });
  assert.equal((await stamp()).builtAt, built.builtAt);
  assert.equal((await stat(first.initrd)).mtimeMs, initrdTime);
  await buildTestGuest({ name: 'cache-check', outDir, modules: ['virtio_pci', 'virtio_net', 'cdrom'] });
  const rebuilt = await stamp();
  assert.notEqual(rebuilt.builtAt, built.builtAt);
  assert.ok(rebuilt.modules.some((m) => m.endsWith('/cdrom.ko')), `expected cdrom.ko in ${rebuilt.modules.join(', ')}`);
});

// `ip addr` prints "N: ethX: <…>" and on the next line "link/ether MAC".
const nicLine = (ifname: string, mac: string) => new RegExp(`\\d+: ${ifname}: [^\\n]*\\n\\s+link/ether ${mac}`);

test('the guest prints its marker and its NIC, and its serial shell runs commands', { skip }, async (t) => {
  const image = await buildTestGuest({ name: NAME });
  const ns = await createNodeNamespace(t);
  const tap = await ns.addTap();
  const mac = '52:54:00:7e:57:01';
  const guest = await startGuest(t, {
    ns,
    nics: [{ tap, mac }],
    // The uncompressed kernel boots sooner under TCG; the next test boots the bzImage.
    kernel: image.vmlinux ?? image.kernel,
    initrd: image.initrd,
    append: 'console=ttyS0 pxevirt.dhcp=off',
  });
  assert.equal(image.marker, `PXEVIRT-GUEST name=${NAME} ok`);
  await guest.waitFor(image.marker);
  await guest.waitFor(nicLine('eth0', mac));
  await guest.waitFor('PXEVIRT-GUEST ready');
  const since = await guest.logLength();
  await guest.sendSerial('echo hello-$((6*7))\n');
  // The echoed command line shows "hello-$((6*7))"; only the shell's arithmetic gives 42.
  assert.match(await guest.waitFor(/^hello-42\r?$/m, { since }), /hello-42/);
});

test('two NICs come up as eth0 and eth1 with their MACs, and each gets a DHCP lease', { skip }, async (t) => {
  const image = await buildTestGuest({ name: NAME });
  const ns = await createNodeNamespace(t, { address: '10.77.0.1/24' });
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-udhcpd-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const conf = join(dir, 'udhcpd.conf');
  await writeFile(
    conf,
    [
      'start 10.77.0.100',
      'end 10.77.0.150',
      `interface ${ns.bridge}`,
      `lease_file ${join(dir, 'leases')}`,
      `pidfile ${join(dir, 'udhcpd.pid')}`,
      'option subnet 255.255.255.0',
      'option router 10.77.0.1',
      '',
    ].join('\n'),
  );
  ns.spawn('busybox', ['udhcpd', '-f', conf], { stdio: 'ignore' });
  const macs = ['52:54:00:7e:57:10', '52:54:00:7e:57:11'] as const;
  const nics = [];
  for (const mac of macs) nics.push({ tap: await ns.addTap(), mac });
  const guest = await startGuest(t, { ns, nics, kernel: image.kernel, initrd: image.initrd });
  await guest.waitFor('PXEVIRT-GUEST ready');
  await guest.waitFor(nicLine('eth0', macs[0]), { timeoutMs: 1 });
  await guest.waitFor(nicLine('eth1', macs[1]), { timeoutMs: 1 });
  await guest.waitFor(/PXEVIRT-GUEST dhcp eth0 10\.77\.0\.\d+\/24 router=10\.77\.0\.1/, { timeoutMs: 1 });
  await guest.waitFor(/PXEVIRT-GUEST dhcp eth1 10\.77\.0\.\d+\/24/, { timeoutMs: 1 });
});
