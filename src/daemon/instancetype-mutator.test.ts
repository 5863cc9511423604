import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { admit } from '../api/admission.ts';
import { vmKind } from '../resources/vm-kind.ts';
import { openTestStore } from '../store/test-fixture.ts';
import type { NewObject } from '../store/types.ts';
import { instancetypeMutator } from './instancetype-mutator.ts';

const GROUP = 'instancetype.kubevirt.io';

function setup(t: TestContext) {
  const { store } = openTestStore(t);
  const create = (resource: string, kind: string, name: string, spec: Record<string, unknown>) =>
    store.create({ group: GROUP, resource }, { apiVersion: `${GROUP}/v1beta1`, kind, metadata: { name }, spec } as NewObject);
  create('virtualmachineclusterinstancetypes', 'VirtualMachineClusterInstancetype', 'u1.nano', { cpu: { guest: 1 }, memory: { guest: '512Mi' } });
  create('virtualmachineclusterpreferences', 'VirtualMachineClusterPreference', 'ubuntu', { devices: { preferredDiskBus: 'virtio' }, requirements: { cpu: { guest: 1 }, memory: { guest: '2Gi' } } });
  create('virtualmachineclusterpreferences', 'VirtualMachineClusterPreference', 'q35-8', { machine: { preferredMachineType: 'pc-q35-8.2' } });
  const mutate = instancetypeMutator(store);
  return (spec: Record<string, unknown>, domain: Record<string, unknown> = {}) =>
    admit(
      vmKind,
      { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'vm1', namespace: 'default' }, spec: { runStrategy: 'Halted', ...spec, template: { spec: { domain: { devices: {}, ...domain } } } } },
      'CREATE',
      undefined,
      { mutate, dryRun: false },
    );
}

test('a template setting what the instancetype sets is refused by the VM webhook with KubeVirt\'s message', (t) => {
  const write = setup(t);
  assert.throws(
    () => write({ instancetype: { name: 'u1.nano' } }, { cpu: { threads: 2 } }),
    (err: Error) => err.message === 'admission webhook "virtualmachine-validator.kubevirt.io" denied the request: VM field(s) spec.template.spec.domain.cpu.threads conflicts with selected instance type',
  );
});

test('a preference\'s requirements the instancetype does not meet are refused', (t) => {
  const write = setup(t);
  assert.throws(
    () => write({ instancetype: { name: 'u1.nano' }, preference: { name: 'ubuntu' } }),
    /denied the request: spec.instancetype: failure checking preference requirements: insufficient Memory resources of 512Mi provided by instance type, preference requires 2Gi$/,
  );
});

test('the preferred machine type goes into the template; a missing instancetype is admitted (the controller reports it)', (t) => {
  const write = setup(t);
  const vm = write({ preference: { name: 'q35-8' } }, { memory: { guest: '1Gi' } }) as { spec: { template: { spec: { domain: { machine?: { type: string } } } } } };
  assert.equal(vm.spec.template.spec.domain.machine?.type, 'pc-q35-8.2');
  assert.doesNotThrow(() => write({ instancetype: { name: 'u1.nowhere' } }));
});
