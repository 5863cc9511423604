// What pxevirt stores for VMIs and VMs is valid KubeVirt: checked against KubeVirt's own
// OpenAPI document (../shared/reference/kubevirt-openapi-v1.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { vmiKind } from '../../src/resources/vmi-kind.ts';
import { vmKind } from '../../src/resources/vm-kind.ts';
import { KUBEVIRT_OPENAPI_PATH, validateAgainstKubevirt } from '../helpers/kubevirt-schema.ts';
import { readSeed, setPath, validVm, validVmi } from '../helpers/kubevirt-fixtures.ts';

const create = { operation: 'CREATE' } as const;
const skip = existsSync(KUBEVIRT_OPENAPI_PATH) ? false : `KubeVirt's OpenAPI document is not at ${KUBEVIRT_OPENAPI_PATH}`;

test('the defaulted seed VMI is a valid KubeVirt VirtualMachineInstance', { skip }, () => {
  const vmi = vmiKind.default(readSeed('vmi-pxe-boot.yaml'), create);
  assert.deepEqual(vmiKind.validate(vmi, create), []);
  assert.deepEqual(validateAgainstKubevirt('VirtualMachineInstance', vmi), []);
});

test('a defaulted VMI with the default network, as the store returns it, is valid KubeVirt', { skip }, () => {
  const vmi = setPath(setPath(validVmi(), 'spec.networks', undefined), 'spec.domain.devices.interfaces', undefined);
  const stored = vmiKind.default(vmi, create);
  setPath(stored, 'metadata.uid', '3f1c3a52-4a6e-4c39-9d55-2d0c4a0f6f10');
  setPath(stored, 'metadata.resourceVersion', '42');
  setPath(stored, 'metadata.creationTimestamp', '2026-01-01T00:00:00Z');
  setPath(stored, 'status.conditions', [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:01Z' }]);
  setPath(stored, 'status.interfaces', [{ name: 'default', ipAddress: '10.0.2.2', ipAddresses: ['10.0.2.2'], mac: '02:00:00:00:00:01' }]);
  assert.deepEqual(validateAgainstKubevirt('VirtualMachineInstance', stored), []);
});

test('a defaulted VM is a valid KubeVirt VirtualMachine', { skip }, () => {
  const vm = vmKind.default(validVm(), create);
  assert.deepEqual(vmKind.validate(vm, create), []);
  setPath(vm, 'status', { printableStatus: 'Stopped', ready: false, conditions: [{ type: 'Ready', status: 'False' }] });
  assert.deepEqual(validateAgainstKubevirt('VirtualMachine', vm), []);
});

test('the check can fail: wrong types and missing required fields are caught', { skip }, () => {
  const wrong = setPath(validVmi(), 'spec.domain.devices.disks[0].bootOrder', 'first');
  assert.deepEqual(validateAgainstKubevirt('VirtualMachineInstance', wrong), ['/spec/domain/devices/disks/0/bootOrder: must be integer {"type":"integer"}']);
  const noTemplate = setPath(validVm(), 'spec.template', undefined);
  assert.match(validateAgainstKubevirt('VirtualMachine', noTemplate).join('\n'), /must have required property 'template'/);
});
