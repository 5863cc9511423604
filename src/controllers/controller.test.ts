import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../lib/logger.ts';
import { vmiKind } from '../resources/vmi-kind.ts';
import { openTestStore } from '../store/test-fixture.ts';
import type { NewObject, ObjectStore, StoredObject } from '../store/types.ts';
import { NotFoundError } from '../store/errors.ts';
import { waitFor } from './wait-until.ts';
import { startControllers, VM_KEY, VMI_KEY } from './controller.ts';
import { createFakeRuntime, type FakeRuntime } from './fake-runtime.ts';
import { createVmMetrics } from './metrics.ts';
import { VMI_FINALIZER } from './vmi-reconcile.ts';

const EVENTS = { group: '', resource: 'events' };


function tryGet(store: ObjectStore, key: typeof VMI_KEY, name: string): StoredObject | undefined {
  try {
    return store.get(key, 'default', name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

const phaseOf = (o: StoredObject | undefined) => (o?.status as { phase?: string } | undefined)?.phase;

/** A VMI as the API stores it (defaulted: phase Pending). */
function createVmi(store: ObjectStore, name: string, spec: Record<string, unknown> = {}): StoredObject {
  const obj = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: 'default' }, spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } }, ...spec } };
  return store.create(VMI_KEY, vmiKind.default(obj, { operation: 'CREATE' }) as unknown as NewObject);
}

async function setup(t: TestContext, runtime: FakeRuntime = createFakeRuntime()) {
  const { store } = openTestStore(t);
  const metrics = createVmMetrics({ vmiPhases: () => [], qemuProcesses: () => 0 });
  const start = () => startControllers({ store, runtime, nodeName: 'node-a', log: silentLogger, metrics, retryBaseMs: 10 });
  return { store, runtime, metrics, start };
}

const eventReasons = (store: ObjectStore, name: string) =>
  store
    .list(EVENTS, { namespace: 'default' })
    .items.filter((e) => (e.involvedObject as { name: string }).name === name)
    .map((e) => e.reason);

test('a new VMI is started once and becomes Running on this node, with events', async (t) => {
  const { store, runtime, metrics, start } = await setup(t);
  const c = await start();
  t.after(() => c.stop());
  const created = createVmi(store, 'a');
  const running = await waitFor('phase Running', () => {
    const o = tryGet(store, VMI_KEY, 'a');
    return phaseOf(o) === 'Running' ? o : undefined;
  });
  const status = running.status as { nodeName: string; phaseTransitionTimestamps: Array<{ phase: string }>; conditions: Array<{ type: string; status: string }> };
  assert.equal(status.nodeName, 'node-a');
  assert.deepEqual(status.phaseTransitionTimestamps.map((p) => p.phase), ['Pending', 'Scheduling', 'Scheduled', 'Running']);
  assert.equal(status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  assert.equal(status.conditions.find((c) => c.type === 'SoftwareEmulation')?.status, 'True');
  assert.deepEqual(running.metadata.finalizers, [VMI_FINALIZER]);
  await c.idle();
  assert.deepEqual(runtime.calls, ['adopt', `start ${created.metadata.uid}`]);
  assert.deepEqual(eventReasons(store, 'a').sort(), ['Created', 'Started', 'SuccessfulCreate']);
  const ev = store.list(EVENTS, { namespace: 'default' }).items.find((e) => e.reason === 'SuccessfulCreate')!;
  assert.deepEqual(ev.involvedObject, { kind: 'VirtualMachineInstance', name: 'a', namespace: 'default', uid: created.metadata.uid, apiVersion: 'kubevirt.io/v1', resourceVersion: (ev.involvedObject as { resourceVersion: string }).resourceVersion });
  assert.equal((ev.source as { component: string }).component, 'virt-controller');
  assert.match(await metrics.registry.metrics(), /pxevirt_vmi_running_seconds_count 1/);
});

test('deleting a running VMI stops it with the delete\'s grace period, cleans up, and removes it', async (t) => {
  const { store, runtime, start } = await setup(t);
  const c = await start();
  t.after(() => c.stop());
  const vmi = createVmi(store, 'b', { terminationGracePeriodSeconds: 45 });
  await waitFor('Running', () => phaseOf(tryGet(store, VMI_KEY, 'b')) === 'Running');
  store.delete(VMI_KEY, 'default', 'b', { gracePeriodSeconds: 7 });
  await waitFor('the VMI gone', () => tryGet(store, VMI_KEY, 'b') === undefined);
  const uid = vmi.metadata.uid;
  assert.deepEqual(runtime.calls.filter((x) => x.includes(uid)), [`start ${uid}`, `stop ${uid} 7`, `cleanup ${uid}`]);
  assert.ok(eventReasons(store, 'b').includes('ShuttingDown'));
});

test('a guest that powers off ends Succeeded; a crash ends Failed with the reason', async (t) => {
  const { store, runtime, start } = await setup(t);
  const c = await start();
  t.after(() => c.stop());
  const a = createVmi(store, 'off');
  const b = createVmi(store, 'boom');
  await waitFor('both Running', () => phaseOf(tryGet(store, VMI_KEY, 'off')) === 'Running' && phaseOf(tryGet(store, VMI_KEY, 'boom')) === 'Running');
  runtime.powerOff(a.metadata.uid);
  runtime.crash(b.metadata.uid, 'qemu-system-x86_64: terminating on signal 9');
  await waitFor('Succeeded', () => phaseOf(tryGet(store, VMI_KEY, 'off')) === 'Succeeded');
  const failed = await waitFor('Failed', () => {
    const o = tryGet(store, VMI_KEY, 'boom');
    return phaseOf(o) === 'Failed' ? o : undefined;
  });
  assert.equal((failed.status as { reason: string }).reason, 'Crashed');
  const ready = (failed.status as { conditions: Array<{ type: string; message?: string }> }).conditions.find((x) => x.type === 'Ready');
  assert.equal(ready?.message, 'qemu-system-x86_64: terminating on signal 9');
  const warning = store.list(EVENTS, { namespace: 'default' }).items.find((e) => e.type === 'Warning');
  assert.match(String(warning?.message), /terminating on signal 9/);
});

test('a start that fails ends Failed with the error', async (t) => {
  const { store, runtime, start } = await setup(t);
  runtime.failNextStart('pulling docker.io/x: 404 manifest unknown');
  const c = await start();
  t.after(() => c.stop());
  createVmi(store, 'bad');
  const o = await waitFor('Failed', () => {
    const v = tryGet(store, VMI_KEY, 'bad');
    return phaseOf(v) === 'Failed' ? v : undefined;
  });
  assert.equal((o.status as { reason: string }).reason, 'FailedCreate');
  assert.ok(eventReasons(store, 'bad').includes('SyncFailed'));
});

test('on start, running guests are adopted (not started again); guests of this store without a VMI are removed, other stores\' and unrecorded ones left alone', async (t) => {
  const { store } = openTestStore(t);
  const vmi = createVmi(store, 'kept');
  // As a previous daemon left it: Running, with the finalizer.
  const stored = store.get(VMI_KEY, 'default', 'kept');
  store.update(VMI_KEY, { ...stored, metadata: { ...stored.metadata, finalizers: [VMI_FINALIZER] } });
  const again = store.get(VMI_KEY, 'default', 'kept');
  store.update(VMI_KEY, { ...again, status: { phase: 'Running', nodeName: 'node-a', phaseTransitionTimestamps: [{ phase: 'Running', phaseTransitionTimestamp: '2024-01-01T00:00:00Z' }], conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-01-01T00:00:00Z' }, { type: 'SoftwareEmulation', status: 'True', reason: 'KVMUnavailable', message: 'KVM not available, using software emulation (TCG)', lastProbeTime: null, lastTransitionTime: '2024-01-01T00:00:00Z' }], interfaces: [] } }, { subresource: 'status' });
  const guest = (uid: string, storeId: string | null = store.identity()) => ({ uid, netns: 'pxv-x', runDir: '/x', pid: 7, state: 'running' as const, softwareEmulation: true, interfaces: [], startedAt: '2024-01-01T00:00:00Z', ...(storeId ? { storeId } : {}) });
  const runtime = createFakeRuntime({ adoptable: [guest(vmi.metadata.uid), guest('orphan-uid'), guest('foreign-uid', 'another-store'), guest('legacy-uid', null)] });
  const c = await startControllers({ store, runtime, nodeName: 'node-a', log: silentLogger });
  t.after(() => c.stop());
  await c.idle();
  await waitFor('the orphan removed', () => runtime.calls.includes('cleanup orphan-uid'));
  assert.equal(phaseOf(tryGet(store, VMI_KEY, 'kept')), 'Running');
  assert.deepEqual(runtime.calls.filter((x) => x.startsWith('start')), [], 'nothing started twice');
  assert.deepEqual(runtime.calls.filter((x) => x.includes('orphan-uid')), ['stop orphan-uid 0', 'cleanup orphan-uid']);
  assert.deepEqual(runtime.calls.filter((x) => x.includes('foreign-uid') || x.includes('legacy-uid')), [], 'another store\'s guest and an unrecorded one are not touched');
});

function createVm(store: ObjectStore, name: string, spec: Record<string, unknown>): StoredObject {
  return store.create(VM_KEY, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: 'default' },
    spec: { ...spec, template: { metadata: { labels: { app: name } }, spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } } } },
  });
}
const vmStatus = (store: ObjectStore, name: string) => (tryGet(store, VM_KEY, name)?.status ?? {}) as { printableStatus?: string; ready?: boolean; created?: boolean };

test('a VM with runStrategy Always runs a VMI, recreates it after the guest powers off, and stops when Halted', async (t) => {
  const { store, runtime, start } = await setup(t);
  const c = await start();
  t.after(() => c.stop());
  const vm = createVm(store, 'web', { runStrategy: 'Always' });
  await waitFor('VM Running', () => vmStatus(store, 'web').printableStatus === 'Running');
  const first = store.get(VMI_KEY, 'default', 'web');
  assert.equal(vmStatus(store, 'web').ready, true);
  assert.equal((first.metadata.ownerReferences?.[0] as { uid: string }).uid, vm.metadata.uid);
  assert.deepEqual(first.metadata.labels, { app: 'web' });

  runtime.powerOff(first.metadata.uid);
  const second = await waitFor('a new VMI', () => {
    const o = tryGet(store, VMI_KEY, 'web');
    return o && o.metadata.uid !== first.metadata.uid && phaseOf(o) === 'Running' ? o : undefined;
  });
  assert.notEqual(second.metadata.uid, first.metadata.uid);

  const current = store.get(VM_KEY, 'default', 'web');
  store.update(VM_KEY, { ...current, spec: { ...(current.spec as object), runStrategy: 'Halted' } }, { preserveStatus: true });
  await waitFor('VM Stopped', () => vmStatus(store, 'web').printableStatus === 'Stopped' && tryGet(store, VMI_KEY, 'web') === undefined);
  assert.equal(vmStatus(store, 'web').created, undefined);
  assert.ok(runtime.calls.includes(`cleanup ${second.metadata.uid}`));
});

test('restart through stateChangeRequests replaces the VMI; deleting the VM removes its VMI', async (t) => {
  const { store, start } = await setup(t);
  const c = await start();
  t.after(() => c.stop());
  createVm(store, 'db', { runStrategy: 'Manual' });
  await c.idle();
  assert.equal(tryGet(store, VMI_KEY, 'db'), undefined, 'Manual starts nothing by itself');
  const vm = store.get(VM_KEY, 'default', 'db');
  store.update(VM_KEY, { ...vm, status: { ...(vm.status as object), stateChangeRequests: [{ action: 'Start' }] } }, { subresource: 'status' });
  const first = await waitFor('Running', () => {
    const o = tryGet(store, VMI_KEY, 'db');
    return phaseOf(o) === 'Running' ? o : undefined;
  });
  const vm2 = store.get(VM_KEY, 'default', 'db');
  store.update(VM_KEY, { ...vm2, status: { ...(vm2.status as object), stateChangeRequests: [{ action: 'Stop', uid: first.metadata.uid }, { action: 'Start' }] } }, { subresource: 'status' });
  await waitFor('a restarted VMI', () => {
    const o = tryGet(store, VMI_KEY, 'db');
    return o && o.metadata.uid !== first.metadata.uid && phaseOf(o) === 'Running';
  });
  assert.equal((store.get(VM_KEY, 'default', 'db').status as { stateChangeRequests?: unknown }).stateChangeRequests, undefined);
  store.delete(VM_KEY, 'default', 'db');
  await waitFor('VM and VMI gone', () => tryGet(store, VM_KEY, 'db') === undefined && tryGet(store, VMI_KEY, 'db') === undefined);
});

test('stopping the controllers leaves guests running', async (t) => {
  const { store, runtime, start } = await setup(t);
  const c = await start();
  const vmi = createVmi(store, 'stay');
  await waitFor('Running', () => phaseOf(tryGet(store, VMI_KEY, 'stay')) === 'Running');
  await c.stop();
  assert.equal(runtime.observe(vmi.metadata.uid)?.state, 'running');
  assert.deepEqual(runtime.calls.filter((x) => x.startsWith('stop')), []);
});

test('a VMI whose ConfigMap is missing waits with a FailedMount Ready condition, and starts with its keys once it exists', async (t) => {
  const { store, runtime, start } = await setup(t);
  const c = await start();
  t.after(() => c.stop());
  const created = createVmi(store, 'cfg', { volumes: [{ name: 'cfg', configMap: { name: 'app' } }], domain: { devices: { disks: [{ name: 'cfg', disk: { bus: 'virtio' } }] }, resources: { requests: { memory: '64Mi' } } } });
  const ready = (o: StoredObject | undefined) => ((o?.status as { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } | undefined)?.conditions ?? []).find((x) => x.type === 'Ready');
  const waiting = await waitFor('the FailedMount condition', () => {
    const r = ready(tryGet(store, VMI_KEY, 'cfg'));
    return r?.reason === 'FailedMount' && r;
  });
  assert.equal(waiting.message, 'MountVolume.SetUp failed for volume "cfg": ConfigMap default/app not found (set optional: true to start without it)');
  assert.equal(phaseOf(tryGet(store, VMI_KEY, 'cfg')), 'Scheduling');
  assert.ok(eventReasons(store, 'cfg').includes('FailedMount'));
  assert.ok(!runtime.calls.some((c) => c.startsWith('start')), 'not started');

  store.create({ group: '', resource: 'configmaps' }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'default' }, data: { 'ks.cfg': 'install' } } as NewObject);
  await waitFor('Running', () => phaseOf(tryGet(store, VMI_KEY, 'cfg')) === 'Running');
  const files = runtime.startOptions.get(created.metadata.uid)?.configVolumes?.get('cfg');
  assert.deepEqual(files?.map((f) => [f.key, Buffer.from(f.data).toString()]), [['ks.cfg', 'install']]);
  assert.equal(ready(tryGet(store, VMI_KEY, 'cfg'))?.status, 'True');
});
