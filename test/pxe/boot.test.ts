// End to end: real QEMU guests (SeaBIOS and OVMF, virtio-net with QEMU's iPXE ROM, no disk)
// network-boot the test guest from `pxevirt pxe serve` on a bridge in a throwaway namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNodeNamespace, netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable, startGuest } from '../helpers/qemu.ts';
import { buildTestGuest } from '../../scripts/test-guest.ts';
import { imageEntry, stageImage, startPxeServe } from '../helpers/pxe.ts';

const MAC = 'de:00:00:00:00:de';
const skip = (await netnsUnavailable()) ?? (await qemuUnavailable());
const BOOT_TIMEOUT = 240_000;

const serverConfig = (extra: Record<string, unknown> = {}) => ({
  interface: 'br0',
  address: '192.168.100.1/24',
  dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.199', leaseSeconds: 600 },
  http: { port: 8080 },
  ...extra,
});

for (const firmware of ['bios', 'uefi'] as const) {
  test(`a ${firmware} guest network-boots the image selected for its MAC`, { skip, timeout: BOOT_TIMEOUT + 60_000 }, async (t) => {
    const node = await createNodeNamespace(t, { address: '192.168.100.1/24' });
    const image = await buildTestGuest({ name: 'tiny-linux' });
    const pxe = await startPxeServe(t, node, serverConfig({ images: [imageEntry('tiny-linux')], hosts: [{ selector: { mac: MAC }, image: 'tiny-linux' }] }));
    await stageImage(pxe.root, 'tiny-linux', image);
    const tap = await node.addTap();
    const guest = await startGuest(t, { ns: node, firmware, memoryMiB: 512, nics: [{ tap, mac: MAC, bootindex: 1, rom: true }] });

    await guest.waitFor('PXEVIRT-GUEST name=tiny-linux ok', { timeoutMs: BOOT_TIMEOUT });
    await guest.waitFor(/PXEVIRT-GUEST ready/, { timeoutMs: 60_000 });
    const addr = await guest.log();
    assert.match(addr, new RegExp(`link/ether ${MAC}`), 'the guest NIC carries the MAC');
    assert.match(addr, /inet 192\.168\.100\.1\d\d\/24/, 'the guest got an address from the range');

    const events = pxe.eventsFor(MAC);
    assert.ok(events.includes('dhcp ack'), `DHCP ack for ${MAC} in ${events.join(', ')}`);
    assert.ok(events.some((e) => e === 'http script'), `script served to ${MAC}: ${events.join(', ')}`);
    const files = pxe.lines.filter((l) => l.proto === 'http' && l.mac === MAC && typeof l.file === 'string').map((l) => l.file);
    assert.ok(files.includes('tiny-linux/vmlinuz') && files.includes('tiny-linux/initrd.gz'), `kernel and initrd downloaded: ${files.join(', ')}`);
  });
}

test('UEFI firmware without iPXE is handed ipxe.efi over TFTP, which then boots the image (no chainload loop)', { skip, timeout: BOOT_TIMEOUT + 60_000 }, async (t) => {
  const node = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  const image = await buildTestGuest({ name: 'tiny-linux' });
  const pxe = await startPxeServe(t, node, serverConfig({ images: [imageEntry('tiny-linux')], defaultImage: 'tiny-linux' }));
  await stageImage(pxe.root, 'tiny-linux', image);
  // No option ROM: OVMF's own network stack does the first DHCP and TFTP (arch 7, no option 175).
  const guest = await startGuest(t, { ns: node, firmware: 'uefi', memoryMiB: 512, nics: [{ tap: await node.addTap(), mac: MAC, bootindex: 1, rom: false }] });
  await guest.waitFor('PXEVIRT-GUEST name=tiny-linux ok', { timeoutMs: BOOT_TIMEOUT });
  const tftp = pxe.lines.filter((l) => l.proto === 'tftp' && l.event === 'done').map((l) => l.file);
  assert.ok(tftp.includes('ipxe/ipxe.efi'), `ipxe.efi went over TFTP: ${tftp.join(', ')}`);
  const offers = pxe.lines.filter((l) => l.proto === 'dhcp' && l.event === 'offer' && l.mac === MAC);
  assert.ok(offers.some((l) => l.ipxe === true) && offers.some((l) => l.ipxe === false), 'first the firmware, then iPXE asked');
});

test('two guests boot two images by MAC, and an unknown MAC gets the menu when there is no default', { skip, timeout: BOOT_TIMEOUT * 2 }, async (t) => {
  const node = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  const [alpha, beta] = await Promise.all([buildTestGuest({ name: 'alpha' }), buildTestGuest({ name: 'beta' })]);
  const macs = { alpha: 'de:00:00:00:00:a1', beta: 'de:00:00:00:00:b2', stranger: 'de:00:00:00:00:c3' };
  const pxe = await startPxeServe(
    t,
    node,
    serverConfig({
      images: [imageEntry('alpha'), imageEntry('beta')],
      hosts: [
        { selector: { mac: macs.alpha }, image: 'alpha' },
        { selector: { mac: macs.beta }, image: 'beta' },
      ],
      menu: { enabled: true, timeoutSeconds: 2 },
    }),
  );
  await stageImage(pxe.root, 'alpha', alpha);
  await stageImage(pxe.root, 'beta', beta);
  const guests = await Promise.all(
    Object.entries(macs).map(async ([, mac]) => startGuest(t, { ns: node, memoryMiB: 256, nics: [{ tap: await node.addTap(), mac, bootindex: 1, rom: true }] })),
  );
  const [ga, gb, gs] = guests as [(typeof guests)[0], (typeof guests)[0], (typeof guests)[0]];
  await ga.waitFor('PXEVIRT-GUEST name=alpha ok', { timeoutMs: BOOT_TIMEOUT });
  await gb.waitFor('PXEVIRT-GUEST name=beta ok', { timeoutMs: BOOT_TIMEOUT });
  // The stranger is shown the menu; its timeout picks the first image.
  const menu = await pxe.waitForLog((l) => l.mac === macs.stranger && l.event === 'script' && l.selection !== 'chain', 'a script for the unknown MAC', BOOT_TIMEOUT);
  assert.equal(menu.selection, 'menu', `the unknown MAC got the menu: ${JSON.stringify(menu)}`);
  await gs.waitFor('PXEVIRT-GUEST name=alpha ok', { timeoutMs: BOOT_TIMEOUT });
  await ga.waitFor(/PXEVIRT-GUEST ready/, { timeoutMs: 60_000 });
  assert.doesNotMatch(await ga.log(), /name=beta/);
});
