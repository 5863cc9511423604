import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Vmi } from '../resources/device-plan.ts';
import { resolveConfigVolumes, type ConfigObject } from './config-volumes.ts';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const vmi = (volumes: NonNullable<Vmi['spec']['volumes']>): Vmi => ({
  metadata: { name: 'v', namespace: 'ns1', uid: 'u1' },
  spec: { domain: { devices: {} }, volumes },
});
const objects: Record<string, ConfigObject> = {
  'ConfigMap/ns1/app': { data: { 'ks.cfg': 'install\n' }, binaryData: { 'logo.bin': b64(Buffer.from([0, 255])) } },
  'Secret/ns1/keys': { data: { password: b64('hunter2') } },
};
const lookup = (kind: string, ns: string, name: string) => objects[`${kind}/${ns}/${name}`];
const text = (files: ReturnType<typeof resolveConfigVolumes>['files'], volume: string) =>
  Object.fromEntries((files?.get(volume) ?? []).map((f) => [f.key, Buffer.from(f.data).toString('hex')]));

test('ConfigMap data, binaryData and Secret data become files by key, decoded', () => {
  const r = resolveConfigVolumes(vmi([{ name: 'cfg', configMap: { name: 'app' } }, { name: 'sec', secret: { secretName: 'keys' } }]), lookup);
  assert.equal(r.waiting, undefined);
  assert.deepEqual(text(r.files, 'cfg'), { 'ks.cfg': Buffer.from('install\n').toString('hex'), 'logo.bin': '00ff' });
  assert.deepEqual(text(r.files, 'sec'), { password: Buffer.from('hunter2').toString('hex') });
});

test('a missing object makes the VMI wait, naming the volume and the object, unless optional', () => {
  const r = resolveConfigVolumes(vmi([{ name: 'cfg', configMap: { name: 'app' } }, { name: 'sec', secret: { secretName: 'gone' } }]), lookup);
  assert.equal(r.files, undefined);
  assert.equal(r.waiting, 'MountVolume.SetUp failed for volume "sec": Secret ns1/gone not found (set optional: true to start without it)');
  const optional = resolveConfigVolumes(vmi([{ name: 'sec', secret: { secretName: 'gone', optional: true } }]), lookup);
  assert.deepEqual(optional.files?.get('sec'), [], 'an empty disk');
});

test('a VMI without config volumes resolves to no files', () => {
  assert.equal(resolveConfigVolumes(vmi([{ name: 'root', emptyDisk: { capacity: '1Gi' } }]), lookup).files?.size, 0);
});
