// Must show (issue 18, IPv6): on an IPv6-only bridge (no IPv4 address on the server, no DHCPv4),
// OVMF's own IPv6 PXE and IPv6 HTTP boot fetch iPXE from `pxe serve`, and that iPXE configures
// itself over IPv6 (router advertisement with M, stateful DHCPv6, user class "iPXE") and boots
// the test guest over HTTP on the server's IPv6 address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNodeNamespace, ip, netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable, startGuest } from '../helpers/qemu.ts';
import { buildTestGuest } from '../../scripts/test-guest.ts';
import { imageEntry, stageImage, startPxeServe } from '../helpers/pxe.ts';

const skip = (await netnsUnavailable()) ?? (await qemuUnavailable());
const BOOT_TIMEOUT = 300_000;
const SERVER = 'fd00:100::1';

/** OVMF's fw_cfg switches (OvmfPkg/RUNTIME_CONFIG.md): leave only the boot path under test. */
const fwcfg = (name: string) => ['-fw_cfg', `name=opt/org.tianocore/${name},string=no`];

for (const path of ['pxe', 'http'] as const) {
  test(`OVMF IPv6 ${path === 'pxe' ? 'PXE' : 'HTTP boot'} loads iPXE, which boots the test guest over IPv6 (IPv6-only bridge)`, { skip, timeout: BOOT_TIMEOUT + 60_000 }, async (t) => {
    const MAC = path === 'pxe' ? 'de:00:00:00:06:0a' : 'de:00:00:00:06:0b';
    const node = await createNodeNamespace(t);
    await ip('-n', node.name, '-6', 'addr', 'add', `${SERVER}/64`, 'dev', node.bridge, 'nodad');
    const image = await buildTestGuest({ name: 'tiny-linux' });
    const pxe = await startPxeServe(t, node, {
      interface: node.bridge,
      ipv6: { address: `${SERVER}/64`, dhcp: { mode: path === 'pxe' ? 'stateful' : 'stateless', range: 'fd00:100::1000-fd00:100::1fff' } },
      http: { port: 8080 },
      images: [imageEntry('tiny-linux')],
      defaultImage: 'tiny-linux',
    });
    await stageImage(pxe.root, 'tiny-linux', image);
    // HTTP boot as the very first option fails with "Unexpected network error": EDK II's
    // HttpBootDhcp6Sarr starts DHCPv6 while the link-local address is still in duplicate address
    // detection and, unlike PxeBcDhcp6Sarr, does not wait on EFI_NO_MAPPING. A 3 s boot-menu
    // wait (after the NICs are connected) lets DAD finish first.
    const extraArgs = path === 'pxe' ? fwcfg('IPv4Support') : [...fwcfg('IPv4Support'), ...fwcfg('IPv6PXESupport'), '-boot', 'menu=on,splash-time=3000'];
    // No option ROM: OVMF's own network stack (arch 7 PXE, or 16 HTTP) does the first exchange.
    const guest = await startGuest(t, { ns: node, firmware: 'uefi', memoryMiB: 512, nics: [{ tap: await node.addTap(), mac: MAC, bootindex: 1, rom: false }], extraArgs });
    await guest.waitFor('PXEVIRT-GUEST name=tiny-linux ok', { timeoutMs: BOOT_TIMEOUT }).catch(async (err: Error) => {
      const events = pxe.lines.filter((l) => l.proto !== undefined).map((l) => JSON.stringify(l)).slice(-40).join('\n');
      throw new Error(`${err.message}\nserial log head:\n${(await guest.log()).slice(0, 3000)}\nserver events:\n${events}`, { cause: err });
    });

    t.diagnostic(`firmware: ${(await guest.log()).split('\n').filter((l) => /^\s*(>>|BdsDxe|Error|PXE-|Station IP|Server IP)/.test(l)).join(' | ')}`);
    t.diagnostic(`events: ${pxe.lines.filter((l) => l.proto !== undefined && l.event !== undefined).map((l) => `${l.proto} ${l.event} ${l.file ?? ''} ${l.arch ?? ''} ${l.reason ?? ''}`).join(' | ')}`);
    const dhcp6 = pxe.lines.filter((l) => l.proto === 'dhcp6' && l.mac === MAC && l.event === 'reply' && typeof l.file === 'string');
    const first = dhcp6.find((l) => l.ipxe === false);
    const ipxe = dhcp6.find((l) => l.ipxe === true);
    assert.ok(first, `the firmware got its boot file over DHCPv6: ${JSON.stringify(dhcp6)}`);
    assert.equal(first.arch, path === 'pxe' ? 'efi-x64' : 'efi-x64-http');
    assert.equal(first.file, path === 'pxe' ? `tftp://[${SERVER}]/ipxe/ipxe.efi` : `http://[${SERVER}]:8080/ipxe/ipxe.efi`);
    assert.ok(ipxe && String(ipxe.file).startsWith(`http://[${SERVER}]:8080/boot.ipxe?`), `iPXE got its script URL over DHCPv6: ${JSON.stringify(dhcp6)}`);
    // Stateful: iPXE leases an address too; stateless: it asks for options only (its address is SLAAC's).
    if (path === 'pxe') assert.match(String(ipxe.ip), /^fd00:100::1[0-9a-f]{3}$/, 'iPXE leased an address from the range');
    else assert.ok(pxe.lines.some((l) => l.proto === 'dhcp6' && l.event === 'information-request' && l.mac === MAC), 'iPXE asked with an information-request');
    const tftp = pxe.lines.filter((l) => l.proto === 'tftp');
    if (path === 'pxe') assert.ok(tftp.some((l) => l.event === 'done' && String(l.file).endsWith('ipxe.efi') && String(l.ip).includes(':')), `ipxe.efi went over TFTP on IPv6: ${JSON.stringify(tftp)}`);
    const start = Date.parse(String(pxe.lines.find((l) => l.proto === 'dhcp6')?.time));
    t.diagnostic(pxe.lines.filter((l) => l.mac === MAC && l.event && l.proto).map((l) => `${Date.parse(String(l.time)) - start} ms ${l.proto} ${l.event}`).join('; '));
    const files = pxe.lines.filter((l) => l.proto === 'http' && l.event === 'done').map((l) => l.file);
    assert.ok(files.includes('tiny-linux/vmlinuz') && files.includes('tiny-linux/initrd.gz'), `kernel and initrd over HTTP: ${files.join(', ')}`);
    assert.ok(pxe.lines.some((l) => l.proto === 'ndp' && l.event === 'ra' && l.other === true && (path === 'pxe') === (l.managed === true)), 'the router-solicitation answer carried M (stateful) or only O (stateless)');
  });
}

test('dual-stack: with DHCPv6 beside DHCPv4 a BIOS guest still boots over IPv4 as before', { skip, timeout: BOOT_TIMEOUT + 60_000 }, async (t) => {
  const MAC = 'de:00:00:00:06:0c';
  const node = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  await ip('-n', node.name, '-6', 'addr', 'add', `${SERVER}/64`, 'dev', node.bridge, 'nodad');
  const image = await buildTestGuest({ name: 'tiny-linux' });
  const pxe = await startPxeServe(t, node, {
    interface: node.bridge,
    address: '192.168.100.1/24',
    dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.199', leaseSeconds: 600 },
    ipv6: { address: `${SERVER}/64`, dhcp: { mode: 'stateful', range: 'fd00:100::1000-fd00:100::1fff' } },
    http: { port: 8080 },
    images: [imageEntry('tiny-linux')],
    defaultImage: 'tiny-linux',
  });
  await stageImage(pxe.root, 'tiny-linux', image);
  const guest = await startGuest(t, { ns: node, firmware: 'bios', memoryMiB: 512, nics: [{ tap: await node.addTap(), mac: MAC, bootindex: 1, rom: true }] });
  await guest.waitFor(/PXEVIRT-GUEST ready/, { timeoutMs: BOOT_TIMEOUT });
  assert.match(await guest.log(), /inet 192\.168\.100\.1\d\d\/24/, 'the guest got its IPv4 address from the range');
  const events = pxe.eventsFor(MAC);
  assert.ok(events.includes('dhcp ack'), `DHCPv4 ack: ${events.join(', ')}`);
  const script = pxe.lines.find((l) => l.proto === 'http' && l.event === 'script' && l.mac === MAC);
  assert.ok(script, `a boot script was served: ${events.join(', ')}`);
  assert.ok(!String(script.ip ?? '').includes(':'), `the script was fetched over IPv4: ${JSON.stringify(script)}`);
  const files = pxe.lines.filter((l) => l.proto === 'http' && l.event === 'done' && l.mac === MAC).map((l) => l.file);
  assert.ok(files.includes('tiny-linux/vmlinuz'), `kernel downloaded: ${files.join(', ')}`);
});
