// End to end: an ordinary DHCP server (dnsmasq, no PXE options) hands out addresses and
// pxevirt, in proxyDHCP mode on the same bridge, tells the guest what to boot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createNodeNamespace, netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable, startGuest } from '../helpers/qemu.ts';
import { buildTestGuest } from '../../scripts/test-guest.ts';
import { imageEntry, stageImage, startPxeServe, tempDir } from '../helpers/pxe.ts';

const MAC = 'de:00:00:00:00:de';
const skip = (await netnsUnavailable()) ?? (await qemuUnavailable());

test('in proxy mode the guest takes its address from dnsmasq and its boot from pxevirt', { skip, timeout: 360_000 }, async (t) => {
  const node = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  const dhcpHost = await node.addClient({ address: '192.168.100.2/24' });
  const work = await tempDir(t);
  const dnsmasq = dhcpHost.spawn('dnsmasq', [
    '--no-daemon', '--conf-file=/dev/null', '--port=0', '--user=root', '--interface=eth0', '--bind-interfaces',
    '--dhcp-range=192.168.100.50,192.168.100.99,255.255.255.0,10m', `--dhcp-leasefile=${join(work, 'leases')}`, '--log-dhcp',
  ]);
  let dnsmasqLog = '';
  dnsmasq.stderr?.on('data', (c: Buffer) => (dnsmasqLog += c.toString()));

  const image = await buildTestGuest({ name: 'tiny-linux' });
  const pxe = await startPxeServe(t, node, {
    interface: 'br0',
    address: '192.168.100.1/24',
    dhcp: { mode: 'proxy' },
    images: [imageEntry('tiny-linux')],
    defaultImage: 'tiny-linux',
  });
  await stageImage(pxe.root, 'tiny-linux', image);
  const guest = await startGuest(t, { ns: node, memoryMiB: 512, nics: [{ tap: await node.addTap(), mac: MAC, bootindex: 1, rom: true }] });

  await guest.waitFor('PXEVIRT-GUEST name=tiny-linux ok', { timeoutMs: 300_000 });
  await guest.waitFor(/PXEVIRT-GUEST ready/, { timeoutMs: 60_000 });
    const addr = await guest.log();
  assert.match(addr, /inet 192\.168\.100\.([5-9]\d)\/24/, 'the address came from dnsmasq\'s range');
  assert.match(dnsmasqLog, /DHCPACK\(eth0\) 192\.168\.100\.\d+ de:00:00:00:00:de/, 'dnsmasq acknowledged the guest');
  const events = pxe.eventsFor(MAC);
  assert.ok(events.some((e) => e.startsWith('dhcp proxy')), `pxevirt answered as a proxy: ${events.join(', ')}`);
  assert.ok(!pxe.lines.some((l) => l.proto === 'dhcp' && (l.event === 'offer' || l.event === 'ack')), 'pxevirt offered no address');
});
