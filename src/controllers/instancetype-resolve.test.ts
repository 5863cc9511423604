import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../lib/logger.ts';
import { vmKind } from '../resources/vm-kind.ts';
import { openTestStore } from '../store/test-fixture.ts';
import type { NewObject, ObjectStore, StoredObject } from '../store/types.ts';
import { NotFoundError } from '../store/errors.ts';
import { waitFor } from './wait-until.ts';
import { startControllers, VM_KEY, VMI_KEY } from './controller.ts';
import { createFakeRuntime } from './fake-runtime.ts';
import { createVmMetrics } from './metrics.ts';
import { CONTROLLER_REVISION_KEY } from './instancetype-resolve.ts';

const CLUSTER_IT = { group: 'instancetype.kubevirt.io', resource: 'virtualmachineclusterinstancetypes' };
const CLUSTER_PREF = { group: 'instancetype.kubevirt.io', resource: 'virtualmachineclusterpreferences' };
const EVENTS = { group: '', resource: 'events' };


const get = (store: ObjectStore, key: typeof VM_KEY, name: string, cluster = false): StoredObject | undefined => {
  try {
    return store.get(key, cluster ? undefined : 'default', name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
};

async function setup(t: TestContext) {
  const { store } = openTestStore(t);
  const metrics = createVmMetrics({ vmiPhases: () => [], qemuProcesses: () => 0 });
  const c = await startControllers({ store, runtime: createFakeRuntime(), nodeName: 'node-a', log: silentLogger, metrics, retryBaseMs: 10 });
  t.after(() => c.stop());
  store.create(CLUSTER_IT, { apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineClusterInstancetype', metadata: { name: 'u1.small' }, spec: { cpu: { guest: 1 }, memory: { guest: '2Gi' } } } as NewObject);
  store.create(CLUSTER_PREF, { apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineClusterPreference', metadata: { name: 'linux' }, spec: { devices: { preferredDiskBus: 'virtio', preferredInterfaceModel: 'virtio', preferredRng: {} } } } as NewObject);
  return { store, c };
}

function createVm(store: ObjectStore, name: string, instancetype = 'u1.small'): StoredObject {
  const vm = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: 'default' },
    spec: {
      runStrategy: 'Always',
      instancetype: { name: instancetype },
      preference: { name: 'linux' },
      template: { spec: { domain: { devices: { disks: [{ name: 'root' }] } }, volumes: [{ name: 'root', containerDisk: { image: 'example/disk:1' } }] } },
    },
  };
  return store.create(VM_KEY, vmKind.default(vm, { operation: 'CREATE' }) as unknown as NewObject);
}

test('a VM with an instancetype and a preference starts a VMI with their CPU, memory and devices, pinned by revisions', async (t) => {
  const { store } = await setup(t);
  createVm(store, 'vm1');
  const vmi = await waitFor('the VMI', () => get(store, VMI_KEY, 'vm1'));
  const domain = (vmi.spec as Record<string, any>).domain;
  assert.deepEqual([domain.cpu.sockets, domain.cpu.cores, domain.cpu.threads, domain.memory.guest], [1, 1, 1, '2Gi']);
  assert.equal(domain.devices.disks[0].disk.bus, 'virtio');
  assert.deepEqual(domain.devices.rng, {});
  assert.equal(vmi.metadata.annotations?.['kubevirt.io/cluster-instancetype-name'], 'u1.small');
  assert.equal(vmi.metadata.annotations?.['kubevirt.io/cluster-preference-name'], 'linux');

  const vm = get(store, VM_KEY, 'vm1')!;
  const itRev = (vm.spec as Record<string, any>).instancetype.revisionName as string;
  assert.match(itRev, /^vm1-u1\.small-v1beta1-[0-9a-f-]+-1$/);
  assert.equal((vm.status as Record<string, any>).instancetypeRef.controllerRevisionRef.name, itRev);
  const revision = get(store, CONTROLLER_REVISION_KEY, itRev)!;
  assert.deepEqual((revision.data as Record<string, any>).spec, { cpu: { guest: 1 }, memory: { guest: '2Gi' } });
  assert.equal(revision.metadata.ownerReferences?.[0]?.uid, vm.metadata.uid);

  // A later edit of the instancetype leaves the VM's next VMI as it was.
  const it = get(store, CLUSTER_IT, 'u1.small', true)!;
  store.update(CLUSTER_IT, { ...it, spec: { cpu: { guest: 4 }, memory: { guest: '8Gi' } } });
  store.delete(VMI_KEY, 'default', 'vm1', { gracePeriodSeconds: 0 });
  const next = await waitFor('a new VMI', () => {
    const v = get(store, VMI_KEY, 'vm1');
    return v && v.metadata.uid !== vmi.metadata.uid && !v.metadata.deletionTimestamp ? v : undefined;
  });
  assert.equal((next.spec as Record<string, any>).domain.memory.guest, '2Gi');

  // A replace that drops revisionName keeps the revision the status names.
  const current = get(store, VM_KEY, 'vm1')!;
  const spec = structuredClone(current.spec) as Record<string, any>;
  delete spec.instancetype.revisionName;
  store.update(VM_KEY, { ...current, spec });
  await waitFor('the revisionName back', () => (get(store, VM_KEY, 'vm1')?.spec as Record<string, any>).instancetype.revisionName === itRev);

  // Deleting the VM deletes its revisions.
  store.delete(VM_KEY, 'default', 'vm1');
  await waitFor('the revisions gone', () => store.list(CONTROLLER_REVISION_KEY, { namespace: 'default' }).items.length === 0);
});

test('a VM whose instancetype does not exist starts nothing and says why', async (t) => {
  const { store } = await setup(t);
  createVm(store, 'vm2', 'u1.missing');
  const event = await waitFor('the warning', () => store.list(EVENTS, { namespace: 'default' }).items.find((e) => e.reason === 'FailedFindInstancetype'));
  assert.equal(event.message, 'virtualmachineclusterinstancetypes.instancetype.kubevirt.io "u1.missing" not found');
  assert.equal(get(store, VMI_KEY, 'vm2'), undefined);
});

test('a namespaced instancetype named by kind is found in the VM\'s namespace', async (t) => {
  const { store } = await setup(t);
  store.create({ group: 'instancetype.kubevirt.io', resource: 'virtualmachineinstancetypes' }, { apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineInstancetype', metadata: { name: 'tiny', namespace: 'default' }, spec: { cpu: { guest: 2 }, memory: { guest: '256Mi' } } } as NewObject);
  const vm = createVm(store, 'vm3', 'tiny');
  const spec = structuredClone(vm.spec) as Record<string, any>;
  spec.instancetype.kind = 'virtualmachineinstancetype';
  store.update(VM_KEY, { ...vm, spec });
  const vmi = await waitFor('the VMI', () => get(store, VMI_KEY, 'vm3'));
  const domain = (vmi.spec as Record<string, any>).domain;
  assert.deepEqual([domain.cpu.sockets, domain.memory.guest], [2, '256Mi']);
  assert.equal(vmi.metadata.annotations?.['kubevirt.io/instancetype-name'], 'tiny');
});
