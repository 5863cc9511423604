import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admissionDenial } from './admission.ts';
import { DNS1123_SUBDOMAIN_MESSAGE } from './names.ts';
import { defaultVmi, vmiKind } from './vmi-kind.ts';
import { validateVmi } from './vmi-validate.ts';
import { readSeed, setPath, validVmi } from '../../test/helpers/kubevirt-fixtures.ts';
import { assertCause } from '../../test/helpers/causes.ts';

test('the seed VMI passes admission after defaulting', () => {
  const seed = readSeed('vmi-pxe-boot.yaml');
  const defaulted = vmiKind.default(seed, { operation: 'CREATE' });
  assert.deepEqual(vmiKind.validate(defaulted, { operation: 'CREATE' }), []);
});

test('a spec change on UPDATE is restricted; metadata and status changes are not', () => {
  const old = defaultVmi(validVmi(), 'CREATE');
  const changed = setPath(structuredClone(old), 'spec.domain.devices.interfaces[1].macAddress', 'de:00:00:00:00:02');
  assert.deepEqual(validateVmi(changed, { operation: 'UPDATE', old }), [{ type: 'FieldValueNotSupported', field: 'spec', message: 'update of VMI object is restricted' }]);
  const relabelled = setPath(structuredClone(old), 'metadata.labels', { a: 'b' });
  setPath(relabelled, 'status.phase', 'Running');
  assert.deepEqual(validateVmi(relabelled, { operation: 'UPDATE', old }), []);
});

test('metadata.name must be a DNS-1123 subdomain', () => {
  const causes = validateVmi(setPath(validVmi(), 'metadata.name', 'Test_VMI'), { operation: 'CREATE' });
  assertCause(causes, 'metadata.name', `Invalid value: "Test_VMI": ${DNS1123_SUBDOMAIN_MESSAGE}`);
});

test('wrong types and a missing domain are reported before the rules', () => {
  const causes = validateVmi(setPath(validVmi(), 'spec.domain.devices.disks[0].bootOrder', 'first'), { operation: 'CREATE' });
  assert.deepEqual(causes, [
    {
      type: 'FieldValueInvalid',
      field: 'spec.domain.devices.disks[0].bootOrder',
      message: 'Invalid value: "string": spec.domain.devices.disks[0].bootOrder in body must be of type integer: "string"',
    },
  ]);
  assertCause(validateVmi(setPath(validVmi(), 'spec.domain', undefined), { operation: 'CREATE' }), 'spec.domain', 'Required value');
});

test('more than ten causes: ten messages, then "and N more validation errors"', () => {
  const vmi = validVmi();
  for (let i = 0; i < 12; i++) setPath(vmi, `spec.networks[${i + 2}]`, { name: `n${i}`, multus: { networkName: 'x' } });
  const causes = validateVmi(vmi, { operation: 'CREATE' });
  assert.equal(causes.length, 12);
  const denial = admissionDenial(causes);
  assert.equal(denial.causes.length, 10);
  assert.ok(denial.message.startsWith("spec.networks[2].name 'n0' not found., spec.networks[3].name 'n1' not found."), denial.message);
  assert.ok(denial.message.endsWith(', and 2 more validation errors'), denial.message);
});
