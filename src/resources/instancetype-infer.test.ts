import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferMatchers, type VolumeLookup } from './instancetype-infer.ts';
import { matcherCauses } from './instancetype-matcher.ts';

const labelled = (labels: Record<string, string>, spec?: unknown) => ({ metadata: { labels }, ...(spec ? { spec } : {}) });
const IT = 'instancetype.kubevirt.io/default-instancetype';
const PREF = 'instancetype.kubevirt.io/default-preference';

function lookupOf(objects: Record<string, unknown>): VolumeLookup {
  return (kind, namespace, name) => objects[`${kind}/${namespace}/${name}`] as Record<string, unknown> | undefined;
}

const vm = (volume: Record<string, unknown>, matchers: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  metadata: { name: 'vm', namespace: 'ns' },
  spec: { ...matchers, ...extra, template: { spec: { domain: { memory: { guest: '1Gi' } }, volumes: [{ name: 'root', ...volume }] } } },
});

test('a PVC\'s default-instancetype and default-preference labels become the matchers, with their kinds', () => {
  const lookup = lookupOf({ 'PersistentVolumeClaim/ns/disk': labelled({ [IT]: 'u1.small', [PREF]: 'fedora', 'instancetype.kubevirt.io/default-preference-kind': 'VirtualMachinePreference' }) });
  const out = inferMatchers(vm({ persistentVolumeClaim: { claimName: 'disk' } }, { instancetype: { inferFromVolume: 'root' }, preference: { inferFromVolume: 'root' } }), lookup);
  assert.ok('vm' in out);
  assert.deepEqual((out.vm.spec as any).instancetype, { name: 'u1.small' });
  assert.deepEqual((out.vm.spec as any).preference, { name: 'fedora', kind: 'VirtualMachinePreference' });
});

test('a DataVolume\'s own labels win; without them its source PVC\'s; a dataVolumeTemplate\'s source PVC; a collected DataVolume\'s PVC', () => {
  const pvc = labelled({ [IT]: 'o1.medium' });
  const infer = (objects: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const out = inferMatchers(vm({ dataVolume: { name: 'dv' } }, { instancetype: { inferFromVolume: 'root' } }, extra), lookupOf(objects));
    return 'vm' in out ? (out.vm.spec as any).instancetype.name : out.message;
  };
  assert.equal(infer({ 'DataVolume/ns/dv': labelled({ [IT]: 'u1.large' }, { source: { pvc: { name: 'golden', namespace: 'images' } } }), 'PersistentVolumeClaim/images/golden': pvc }), 'u1.large');
  assert.equal(infer({ 'DataVolume/ns/dv': labelled({}, { source: { pvc: { name: 'golden', namespace: 'images' } } }), 'PersistentVolumeClaim/images/golden': pvc }), 'o1.medium');
  assert.equal(infer({ 'PersistentVolumeClaim/images/golden': pvc }, { dataVolumeTemplates: [{ metadata: { name: 'dv' }, spec: { source: { pvc: { name: 'golden', namespace: 'images' } } } }] }), 'o1.medium');
  assert.equal(infer({ 'PersistentVolumeClaim/ns/dv': pvc }), 'o1.medium');
  assert.equal(infer({ 'DataVolume/ns/dv': labelled({}, { source: { http: { url: 'http://x/disk.img' } } }) }), 'unable to infer defaults from DataVolumeSpec as DataVolumeSource is not supported');
});

test('failures are KubeVirt\'s; under policy Ignore an ignorable one drops the matcher, and an inferred instancetype drops the fallback memory', () => {
  const noLabel = lookupOf({ 'PersistentVolumeClaim/ns/disk': labelled({}) });
  const claim = { persistentVolumeClaim: { claimName: 'disk' } };
  assert.deepEqual(inferMatchers(vm(claim, { instancetype: { inferFromVolume: 'root' } }), noLabel), {
    field: 'spec.instancetype.inferFromVolume',
    message: `unable to find required ${IT} label on the volume`,
  });
  assert.deepEqual(inferMatchers(vm(claim, { instancetype: { inferFromVolume: 'nosuch' } }), noLabel), { field: 'spec.instancetype.inferFromVolume', message: 'unable to find volume nosuch to infer defaults' });
  assert.deepEqual(inferMatchers(vm({ persistentVolumeClaim: { claimName: 'gone' } }, { preference: { inferFromVolume: 'root' } }), noLabel), { field: 'spec.preference.inferFromVolume', message: 'persistentvolumeclaims "gone" not found' });

  const ignored = inferMatchers(vm({ containerDisk: { image: 'x' } }, { instancetype: { inferFromVolume: 'root', inferFromVolumeFailurePolicy: 'Ignore' } }), noLabel);
  assert.ok('vm' in ignored);
  assert.equal((ignored.vm.spec as any).instancetype, undefined, 'matcher cleared');
  assert.deepEqual((ignored.vm.spec as any).template.spec.domain.memory, { guest: '1Gi' }, 'the fallback memory stays');

  const found = inferMatchers(vm(claim, { instancetype: { inferFromVolume: 'root', inferFromVolumeFailurePolicy: 'Ignore' } }), lookupOf({ 'PersistentVolumeClaim/ns/disk': labelled({ [IT]: 'u1.small' }) }));
  assert.ok('vm' in found);
  assert.equal((found.vm.spec as any).template.spec.domain.memory, undefined, 'the instancetype gives the memory now');
});

test('a matcher naming inferFromVolume with a name or kind, or an unknown failure policy, is refused with KubeVirt\'s messages and not inferred', () => {
  const bad = vm({ persistentVolumeClaim: { claimName: 'disk' } }, { instancetype: { inferFromVolume: 'root', name: 'u1.small', inferFromVolumeFailurePolicy: 'Maybe' } });
  const out = inferMatchers(bad, lookupOf({}));
  assert.ok('vm' in out);
  assert.equal(out.vm, bad, 'left for validation');
  assert.deepEqual(
    matcherCauses(bad, undefined).map((c) => `${c.field}: ${c.message}`),
    ['spec.instancetype.name: Name should not be provided when InferFromVolume is used within the instancetype matcher', "spec.instancetype.inferFromVolumeFailurePolicy: Invalid value 'Maybe' for InferFromVolumeFailurePolicy"],
  );
});
