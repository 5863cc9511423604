import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PxeImage, PxeServerSpec } from '../resources/pxe-server.ts';
import { matchSelector, selectImage } from './select.ts';

const image = (name: string): PxeImage => ({ name, kernel: `${name}/vmlinuz`, initrd: [], cmdline: '' });
const images = [image('tiny-linux'), image('installer'), image('rescue')];

function spec(over: Partial<PxeServerSpec> = {}): Pick<PxeServerSpec, 'images' | 'hosts' | 'defaultImage' | 'menu'> {
  return { images, hosts: [], menu: { enabled: true, timeoutSeconds: 10 }, ...over };
}

test('picks the host whose MAC matches, whatever the spelling', () => {
  const s = spec({ hosts: [{ selector: { mac: 'de:00:00:00:00:de' }, image: 'installer' }] });
  const got = selectImage(s, { mac: 'DE-00-00-00-00-DE' });
  assert.equal(got.kind, 'image');
  assert.equal(got.kind === 'image' && got.image.name, 'installer');
  assert.equal(got.reason, 'hosts[0] matched mac de:00:00:00:00:de');
});

test('requires every field of a selector to match', () => {
  const s = spec({ hosts: [{ selector: { mac: 'de:00:00:00:00:de', arch: 'efi-x64' }, image: 'installer' }] });
  assert.equal(selectImage(s, { mac: 'de:00:00:00:00:de', arch: 'bios' }).kind, 'menu');
  assert.equal(selectImage(s, { mac: 'de:00:00:00:00:de' }).kind, 'menu', 'a missing client field does not match');
  const got = selectImage(s, { mac: 'de:00:00:00:00:de', arch: 'efi-x64' });
  assert.equal(got.reason, 'hosts[0] matched mac de:00:00:00:00:de, arch efi-x64');
});

test('compares UUIDs without regard to case and hostnames exactly', () => {
  const s = spec({
    hosts: [
      { selector: { uuid: '5d307ca9-b3ef-428c-8861-06e72d69f223' }, image: 'rescue' },
      { selector: { hostname: 'node-1' }, image: 'installer' },
    ],
  });
  const byUuid = selectImage(s, { mac: '02:00:00:00:00:01', uuid: '5D307CA9-B3EF-428C-8861-06E72D69F223' });
  assert.equal(byUuid.kind === 'image' && byUuid.image.name, 'rescue');
  const byName = selectImage(s, { mac: '02:00:00:00:00:01', hostname: 'node-1' });
  assert.equal(byName.kind === 'image' && byName.image.name, 'installer');
  assert.equal(byName.reason, 'hosts[1] matched hostname node-1');
  assert.equal(selectImage(s, { mac: '02:00:00:00:00:01', hostname: 'node-10' }).kind, 'menu');
});

test('lets the first matching host win', () => {
  const s = spec({
    hosts: [
      { selector: { arch: 'efi-x64' }, image: 'rescue' },
      { selector: { mac: 'de:00:00:00:00:de' }, image: 'installer' },
    ],
  });
  const got = selectImage(s, { mac: 'de:00:00:00:00:de', arch: 'efi-x64' });
  assert.equal(got.kind === 'image' && got.image.name, 'rescue');
  assert.equal(got.reason, 'hosts[0] matched arch efi-x64');
});

test('falls back to the default image when no host matches', () => {
  const got = selectImage(spec({ defaultImage: 'tiny-linux' }), { mac: '02:00:00:00:00:09' });
  assert.equal(got.kind === 'image' && got.image.name, 'tiny-linux');
  assert.equal(got.reason, 'no host matched; defaultImage tiny-linux');
});

test('offers the menu without a default, and nothing when the menu is off or empty', () => {
  assert.deepEqual(selectImage(spec(), { mac: '02:00:00:00:00:09' }), { kind: 'menu', reason: 'no host matched; no defaultImage; menu of 3 image(s)' });
  assert.deepEqual(selectImage(spec({ menu: { enabled: false, timeoutSeconds: 10 } }), { mac: '02:00:00:00:00:09' }), {
    kind: 'none',
    reason: 'no host matched; no defaultImage and the menu is disabled',
  });
  assert.deepEqual(selectImage(spec({ images: [] }), { mac: '02:00:00:00:00:09' }), { kind: 'none', reason: 'no host matched; no images defined' });
});

test('skips a host that names an unknown image and says so', () => {
  const s = spec({ hosts: [{ selector: { mac: 'de:00:00:00:00:de' }, image: 'gone' }], defaultImage: 'rescue' });
  const got = selectImage(s, { mac: 'de:00:00:00:00:de' });
  assert.equal(got.kind === 'image' && got.image.name, 'rescue');
  assert.match(got.reason, /hosts\[0\] matched but names unknown image gone; no host matched; defaultImage rescue/);
});

test('never matches an empty selector', () => {
  assert.equal(matchSelector({}, { mac: 'de:00:00:00:00:de' }), undefined);
});

test('vmSelector picks the host whose MAC belongs to a matching VM; circuitId needs the relayed ID', () => {
  const s = spec({
    hosts: [
      { selector: { vmSelector: { matchLabels: { role: 'installer' } } }, image: 'installer' },
      { selector: { circuitId: 'rack1/port7' }, image: 'rescue' },
    ],
    defaultImage: 'tiny-linux',
    vms: [
      { kind: 'VirtualMachine', namespace: 'default', name: 'a', labels: { role: 'installer' }, macs: ['02:00:00:00:00:0a'] },
      { kind: 'VirtualMachine', namespace: 'default', name: 'b', macs: ['02:00:00:00:00:0b'] },
    ],
  });
  const a = selectImage(s, { mac: '02:00:00:00:00:0a' });
  assert.equal(a.kind === 'image' && a.image.name, 'installer');
  assert.equal(a.reason, 'hosts[0] matched vmSelector role=installer (VirtualMachine default/a)');
  const b = selectImage(s, { mac: '02:00:00:00:00:0b' });
  assert.equal(b.kind === 'image' && b.image.name, 'tiny-linux');
  const relayed = selectImage(s, { mac: '02:00:00:00:00:0c', relay: { circuitId: Buffer.from('rack1/port7') } });
  assert.equal(relayed.kind === 'image' && relayed.image.name, 'rescue');
  assert.equal(relayed.reason, 'hosts[1] matched circuitId rack1/port7');
});
