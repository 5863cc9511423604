import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PxeServerSpec } from '../resources/pxe-server.ts';
import { grubConfigArch, grubConfigFor, grubImageConfig, grubQuote, isGrubConfigName } from './grub-config.ts';

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
  assert.match(grubImageConfig({ name: 'u', kernel: 'http://e/vmlinuz', initrd: [], cmdline: '' }, 'r'), /loads files from this server'\\''s TFTP root only/);
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
