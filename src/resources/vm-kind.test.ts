import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vmKind } from './vm-kind.ts';
import { firmwareUuidFor } from './vmi-defaults.ts';
import { setPath, validVm } from '../../test/helpers/kubevirt-fixtures.ts';
import { assertCause } from '../../test/helpers/causes.ts';

type Obj = Record<string, any>;
const create = { operation: 'CREATE' } as const;
const causesOf = (edit: (vm: Obj) => void) => {
  const vm = validVm();
  edit(vm);
  return vmKind.validate(vmKind.default(vm, create), create);
};

test('a valid VM passes, and defaults go to the template spec', () => {
  const out = vmKind.default(validVm(), create) as Obj;
  assert.deepEqual(vmKind.validate(out, create), []);
  assert.equal(out.spec.template.spec.domain.machine.type, 'q35');
  assert.equal(out.spec.template.spec.domain.firmware.uuid, firmwareUuidFor('test-vm'));
  assert.equal(out.status, undefined);
});

test('running and runStrategy together', () => {
  assertCause(causesOf((vm) => setPath(vm, 'spec.running', true)), 'spec.running', 'Running and RunStrategy are mutually exclusive. Note that Running is deprecated, please use RunStrategy instead');
});

test('neither running nor runStrategy', () => {
  assertCause(causesOf((vm) => setPath(vm, 'spec.runStrategy', undefined)), 'spec.running', 'RunStrategy must be specified');
  assert.deepEqual(causesOf((vm) => {
    setPath(vm, 'spec.runStrategy', undefined);
    setPath(vm, 'spec.running', false);
  }), []);
});

test('an unknown run strategy', () => {
  assertCause(causesOf((vm) => setPath(vm, 'spec.runStrategy', 'Sometimes')), 'spec.runStrategy', 'Invalid RunStrategy (Sometimes)');
  for (const s of ['Always', 'Halted', 'Manual', 'RerunOnFailure', 'Once']) assert.deepEqual(causesOf((vm) => setPath(vm, 'spec.runStrategy', s)), []);
});

test('a missing template', () => {
  assertCause(causesOf((vm) => setPath(vm, 'spec.template', undefined)), 'spec.template', 'missing virtual machine template.');
});

test('template spec rules report paths under spec.template.spec', () => {
  const at = 'spec.template.spec.domain.devices.interfaces[1].macAddress';
  assertCause(causesOf((vm) => setPath(vm, at, 'zz')), at, 'interface spec.template.spec.domain.devices.interfaces[1].name has malformed MAC address (zz).');
});

test('metadata.name must be a DNS-1123 subdomain', () => {
  assertCause(causesOf((vm) => setPath(vm, 'metadata.name', 'VM')), 'metadata.name', /^Invalid value: "VM": a lowercase RFC 1123 subdomain/);
});
