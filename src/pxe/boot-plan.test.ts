import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archFromCode, archFromIpxe, bootFileFor } from './boot-plan.ts';

const server = { address: '192.168.100.1', httpPort: 8080 };
const mac = 'de:00:00:00:00:de';

test('maps option 93 codes to architectures', () => {
  assert.equal(archFromCode(0), 'bios');
  assert.equal(archFromCode(7), 'efi-x64');
  assert.equal(archFromCode(16), 'efi-x64-http');
  assert.equal(archFromCode(4242), undefined);
  assert.equal(archFromIpxe('efi', 'x86_64'), 'efi-x64');
  assert.equal(archFromIpxe('pcbios', 'i386'), 'bios');
});

test('iPXE gets the HTTP script URL, never a binary (no chainload loop)', () => {
  const boot = bootFileFor({ mac, arch: 'bios', ipxe: true }, server);
  assert.equal(boot?.file, 'http://192.168.100.1:8080/boot.ipxe?mac=de%3A00%3A00%3A00%3A00%3Ade&arch=bios');
});

test('firmware without iPXE gets the iPXE binary for its arch over TFTP', () => {
  assert.equal(bootFileFor({ mac, arch: 'bios', ipxe: false }, server)?.file, 'ipxe/undionly.kpxe');
  assert.equal(bootFileFor({ mac, arch: 'efi-x64', ipxe: false }, server)?.file, 'ipxe/ipxe.efi');
  assert.equal(bootFileFor({ mac, arch: 'efi-ia32', ipxe: false }, server), undefined);
});

test('UEFI HTTP boot gets an http URL and the HTTPClient vendor class', () => {
  assert.deepEqual(bootFileFor({ mac, arch: 'efi-x64-http', ipxe: false }, server), {
    file: 'http://192.168.100.1:8080/ipxe/ipxe.efi',
    vendorClass: 'HTTPClient',
  });
});

test('x64 UEFI firmware whose image boots through the signed chain gets shim, iPXE still its script', () => {
  assert.deepEqual(bootFileFor({ mac: 'de:00:00:00:00:de', arch: 'efi-x64', ipxe: false }, server, true), { file: 'signed/shimx64.efi', vendorClass: 'PXEClient' });
  assert.equal(bootFileFor({ mac: 'de:00:00:00:00:de', arch: 'efi-x64', ipxe: false }, server, false)?.file, 'ipxe/ipxe.efi');
  assert.equal(bootFileFor({ mac: 'de:00:00:00:00:de', arch: 'bios', ipxe: false }, server, true)?.file, 'ipxe/undionly.kpxe', 'BIOS has no Secure Boot');
});

test('arm64 UEFI (option 93 codes 11 and 19) gets the arm64 network GRUB: over TFTP, or as an http URL for HTTP boot', () => {
  assert.equal(archFromCode(11), 'efi-arm64');
  assert.equal(archFromCode(19), 'efi-arm64-http');
  assert.deepEqual(bootFileFor({ mac, arch: 'efi-arm64', ipxe: false }, server), { file: 'arm64/grubaa64.efi', vendorClass: 'PXEClient' });
  assert.deepEqual(bootFileFor({ mac, arch: 'efi-arm64-http', ipxe: false }, server), { file: 'http://192.168.100.1:8080/arm64/grubaa64.efi', vendorClass: 'HTTPClient' });
  // The signed chain is x64's: an arm64 client never gets shim.
  assert.equal(bootFileFor({ mac, arch: 'efi-arm64', ipxe: false }, server, true)?.file, 'arm64/grubaa64.efi');
});
