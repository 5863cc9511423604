import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVmi, parseVmiSpec } from './vmi-spec.ts';
import { validVmi } from '../../test/helpers/kubevirt-fixtures.ts';

/** validVmi as the store returns it (with a uid). */
const stored = (): Record<string, unknown> => {
  const object = validVmi();
  (object.metadata as Record<string, unknown>).uid = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
  return object;
};

test('a valid VMI parses into its typed spec, the same data', () => {
  const object = stored();
  const { value, causes } = parseVmi(object);
  assert.deepEqual(causes, []);
  assert.deepEqual(value?.spec, object.spec);
  assert.equal(value?.metadata.name, (object.metadata as { name: string }).name);
});

test('a wrong type is refused with its field path, before any rule runs', () => {
  const spec = { domain: { devices: { interfaces: [{ name: 'x', bootOrder: 'first' }] } } };
  const { value, causes } = parseVmiSpec(spec, 'spec.template.spec');
  assert.equal(value, undefined);
  assert.deepEqual(causes.map((c) => c.field), ['spec.template.spec.domain.devices.interfaces[0].bootOrder']);
});

test('KubeVirt\'s spec rules are part of the parse; a disk for every volume only when asked (VMIs)', () => {
  const spec = { domain: { devices: {}, memory: { guest: '64Mi' } }, volumes: [{ name: 'v', emptyDisk: { capacity: '1Gi' } }] };
  assert.deepEqual(parseVmiSpec(spec).causes, []);
  assert.deepEqual(parseVmiSpec(spec, 'spec', { volumesNeedDisks: true }).causes.map((c) => c.field), ['spec.volumes[0].name']);
});

test('a stored VMI without a uid does not parse', () => {
  assert.deepEqual(parseVmi(stored()).causes, []);
  const object = validVmi();
  assert.deepEqual(parseVmi(object).causes.map((c) => c.field), ['metadata.uid']);
});
