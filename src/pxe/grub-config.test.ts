import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PxeServerSpec } from '../resources/pxe-server.ts';
import { grubConfigArch, grubConfigFor, grubHttpDevice, grubImageConfig, grubQuote, isGrubConfigName } from './grub-config.ts';

const spec: Pick<PxeServerSpec, 'images' | 'hosts' | 'defaultImage' | 'menu' | 'vms'> = {
  images: [{ name: 'signed', kernel: 'signed/vmlinuz', initrd: ['signed/initrd.gz'], cmdline: 'console=ttyS0 mac={{mac}}', secureBoot: true }],
  hosts: [{ selector: { mac: 'de:00:00:00:5b:01' }, image: 'signed' }],
  menu: { enabled: false, timeoutSeconds: 0 },
};

test('network GRUB config names are recognised in any directory', () => {
  for (const name of ['grub.cfg', 'grub/grub.cfg', 'debian-installer/amd64/grub/x86_64-efi/grub.cfg', 'grub/grub.cfg-01-de-00-00-00-5b-01']) assert.equal(isGrubConfigName(name), true, name);
  for (const name of ['grub.cfgx', 'signed/grubx64.efi', 'grub']) assert.equal(isGrubConfigName(name), false, name);
});

test('the config boots the selected image with its rendered command line, every word quoted', () => {
  const a = grubConfigFor(spec, { mac: 'de:00:00:00:5b:01', ip: '192.168.100.101' }, 'http://192.168.100.1:8080');
  assert.equal(a.image, 'signed');
  assert.match(a.text, /^linux '\/signed\/vmlinuz' 'console=ttyS0' 'mac=de:00:00:00:5b:01'$/m);
  assert.match(a.text, /^initrd '\/signed\/initrd.gz'$/m);
  assert.match(a.text, /^boot$/m);
  assert.equal(grubQuote("it's"), "'it'\\''s'");
});

test('an unknown client or an image the chain cannot boot gets a config that says why', () => {
  assert.match(grubConfigFor(spec, { ip: '192.168.100.9' }, 'http://x').text, /no DHCP exchange known for 192\.168\.100\.9/);
  assert.match(grubConfigFor(spec, { mac: '02:00:00:00:00:01', ip: '192.168.100.9' }, 'http://x').text, /no host matched/);
  assert.match(grubImageConfig({ name: 'u', kernel: 'http://e/vmlinuz', initrd: [], cmdline: '' }, 'r'), /loads files from this server only/);
});

test('the arm64 network GRUB asks under arm64/: its config selects with arch efi-arm64 (a host entry per arch picks the arm64 image)', () => {
  assert.equal(grubConfigArch('arm64/grub.cfg'), 'efi-arm64');
  assert.equal(grubConfigArch('/arm64/grub.cfg-01-de-00-00-00-aa-01'), 'efi-arm64');
  assert.equal(grubConfigArch('grub/grub.cfg'), 'efi-x64');
  const both: typeof spec = {
    images: [{ name: 'x86', kernel: 'x86/vmlinuz', initrd: [], cmdline: 'console=ttyS0' }, { name: 'arm', kernel: 'arm/vmlinuz', initrd: ['arm/initrd.gz'], cmdline: 'console=ttyAMA0 arch={{arch}}' }],
    hosts: [{ selector: { arch: 'efi-arm64' }, image: 'arm' }],
    defaultImage: 'x86',
    menu: { enabled: false, timeoutSeconds: 0 },
  };
  const arm = grubConfigFor(both, { mac: 'de:00:00:00:aa:01', ip: '192.168.100.102', arch: grubConfigArch('arm64/grub.cfg') }, 'http://192.168.100.1:8080');
  assert.equal(arm.image, 'arm');
  assert.match(arm.text, /^linux '\/arm\/vmlinuz' 'console=ttyAMA0' 'arch=efi-arm64'$/m);
  assert.match(arm.text, /through the arm64 network GRUB/);
  assert.equal(grubConfigFor(both, { mac: 'de:00:00:00:aa:01', ip: '192.168.100.102' }, 'http://192.168.100.1:8080').image, 'x86');
});

test('with the HTTP server on port 80 over IPv4, the arm64 GRUB loads kernel and initrds from its /files/ (GRUB 2.06 speaks HTTP to port 80 only)', () => {
  const arm: typeof spec = { ...spec, hosts: [{ selector: { arch: 'efi-arm64' }, image: 'signed' }] };
  const a = grubConfigFor(arm, { mac: 'de:00:00:00:5b:01', ip: '192.168.100.101', arch: 'efi-arm64' }, 'http://192.168.100.1:80');
  assert.match(a.text, /^linux '\(http,192\.168\.100\.1\)\/files\/signed\/vmlinuz' 'console=ttyS0'/m);
  assert.match(a.text, /^initrd '\(http,192\.168\.100\.1\)\/files\/signed\/initrd\.gz'$/m);
  // Debian's signed x64 GRUB has no http module (and loads none under Secure Boot): TFTP, port 80 or not.
  assert.match(grubConfigFor(spec, { mac: 'de:00:00:00:5b:01', ip: '192.168.100.101' }, 'http://192.168.100.1:80').text, /^linux '\/signed\/vmlinuz'/m);
  // Any other port, IPv6 or a name GRUB would send unencoded: TFTP as before.
  assert.equal(grubHttpDevice('http://192.168.100.1:8080'), undefined);
  assert.equal(grubHttpDevice('http://[fd00::1]:80'), undefined);
  assert.equal(grubHttpDevice('https://192.168.100.1'), undefined);
  assert.equal(grubHttpDevice('not a url'), undefined);
  const odd = grubImageConfig({ name: 'o', kernel: 'dir/a kernel', initrd: ['./x//y.gz'], cmdline: '' }, 'r', 'efi-x64', '(http,10.0.0.1)');
  assert.match(odd, /^linux '\/dir\/a kernel'$/m);
  assert.match(odd, /^initrd '\(http,10\.0\.0\.1\)\/files\/x\/y\.gz'$/m);
});
