import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admissionDenial, webhookName } from './admission.ts';

const causes = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'FieldValueInvalid' as const, field: `f${i}`, message: `m${i}` }));

test('up to ten causes: all messages joined with ", "', () => {
  assert.deepEqual(admissionDenial(causes(2)), { message: 'm0, m1', causes: causes(2) });
});

test('more than ten: ten shown, then the count of the rest', () => {
  const d = admissionDenial(causes(13));
  assert.equal(d.message, 'm0, m1, m2, m3, m4, m5, m6, m7, m8, m9, and 3 more validation errors');
  assert.equal(d.causes.length, 10);
});

test('KubeVirt\'s webhook names', () => {
  assert.equal(webhookName('VirtualMachineInstance', 'CREATE'), 'virtualmachineinstances-create-validator.kubevirt.io');
  assert.equal(webhookName('VirtualMachineInstance', 'UPDATE'), 'virtualmachineinstances-update-validator.kubevirt.io');
  assert.equal(webhookName('VirtualMachine', 'UPDATE'), 'virtualmachine-validator.kubevirt.io');
  assert.equal(webhookName('Namespace', 'CREATE'), undefined);
});
