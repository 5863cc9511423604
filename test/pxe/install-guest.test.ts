// A real install with real firmware, no API: `pxe serve` boots a BIOS guest (SeaBIOS, iPXE
// ROM) into the test guest's installer mode, which fetches a bootable disk image from
// {{files}}, writes it to its empty virtio disk, POSTs {{doneURL}} and reboots. The `once`
// host then gets the local-boot answer: iPXE exits, SeaBIOS boots the disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildTestDisk } from '../../scripts/guest/disk-image.ts';
import { installLinePrefix } from '../../scripts/guest/init-script.ts';
import { buildTestGuest } from '../../scripts/test-guest.ts';
import { createNodeNamespace, netnsUnavailable } from '../helpers/netns.ts';
import { imageEntry, stageImage, startPxeServe, tempDir } from '../helpers/pxe.ts';
import { qemuUnavailable, startGuest } from '../helpers/qemu.ts';

const MAC = 'de:00:00:00:78:01';
const skip = (await netnsUnavailable()) ?? (await qemuUnavailable());

test('a once host installs its disk over HTTP, reports done, reboots and then boots its disk', { skip, timeout: 600_000 }, async (t) => {
  const node = await createNodeNamespace(t, { bridge: 'br1', address: '192.168.78.1/24' });
  const tap = await node.addTap();
  const [installer, disk] = await Promise.all([buildTestGuest({ name: 'installer' }), buildTestDisk({ name: 'installed-disk' })]);
  const pxe = await startPxeServe(t, node, {
    interface: 'br1',
    address: '192.168.78.1/24',
    dhcp: { mode: 'server', range: '192.168.78.100-192.168.78.150', leaseSeconds: 600 },
    http: { port: 8080 },
    images: [imageEntry('installer', 'console=ttyS0 quiet no_timer_check pxevirt.install={{files}}/disk.img pxevirt.done={{doneURL}}')],
    hosts: [{ selector: { mac: MAC }, image: 'installer', once: true }],
  });
  await stageImage(pxe.root, 'installer', installer);
  await copyFile(disk.path, join(pxe.root, 'disk.img'));
  const work = await tempDir(t);
  const target = join(work, 'target.raw');
  await writeFile(target, ''); // an empty disk of the image's size
  await truncate(target, (await stat(disk.path)).size);

  const guest = await startGuest(t, {
    ns: node,
    firmware: 'bios',
    memoryMiB: 512,
    nics: [{ tap, mac: MAC, bootindex: 1, rom: true }],
    extraArgs: ['-drive', `file=${target},format=raw,if=none,id=disk0`, '-device', 'virtio-blk-pci,drive=disk0,bootindex=2'],
  });
  await guest.waitFor(`${installLinePrefix}done, rebooting`, { timeoutMs: 300_000 });
  await guest.waitFor(disk.marker, { timeoutMs: 240_000 });
  const events = pxe.eventsFor(MAC);
  assert.ok(events.includes('http provisioned'), `the doneURL was called: ${events.join(', ')}`);
  assert.ok(events.includes('http local-boot'), `the second boot got the local-boot answer: ${events.join(', ')}`);
  assert.ok(!(await guest.log()).includes(`${installLinePrefix}failed`), 'no install step failed');
});
