import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crashLoopBackoffSeconds, reconcileVm, runStrategyOf, VM_FINALIZER, vmiFromTemplate, type VmiView, type VmLike } from './vm-reconcile.ts';

const NOW = new Date('2026-01-01T00:00:00Z');
const ctx = (s = 0) => ({ now: new Date(NOW.getTime() + s * 1000) });

function vm(spec: Record<string, unknown>, status?: Record<string, unknown>, meta: Partial<VmLike['metadata']> = {}): VmLike {
  return {
    apiVersion: 'kubevirt.io/v1',
    metadata: { name: 'web', namespace: 'default', uid: 'vm-uid', finalizers: [VM_FINALIZER], ...meta },
    spec: { template: { metadata: { labels: { app: 'web' } }, spec: { domain: { devices: {} }, terminationGracePeriodSeconds: 5 } }, ...spec },
    ...(status ? { status } : {}),
  };
}

function vmi(phase: string | undefined, extra: Partial<VmiView['metadata']> = {}): VmiView {
  return {
    metadata: { name: 'web', uid: 'vmi-1', ownerReferences: [{ kind: 'VirtualMachine', name: 'web', uid: 'vm-uid', controller: true }], ...extra },
    spec: { terminationGracePeriodSeconds: 5 },
    status: { ...(phase ? { phase } : {}), ...(phase === 'Running' ? { conditions: [{ type: 'Ready', status: 'True' }] } : {}) },
  };
}

const types = (r: ReturnType<typeof reconcileVm>) => r.actions.map((a) => a.type);

test('running: true means Always and false means Halted', () => {
  assert.equal(runStrategyOf(vm({ running: true })), 'Always');
  assert.equal(runStrategyOf(vm({ running: false })), 'Halted');
  assert.equal(runStrategyOf(vm({ runStrategy: 'Manual' })), 'Manual');
});

test('the VMI comes from the template: same name, owned by the VM, template labels', () => {
  const v = vmiFromTemplate(vm({ runStrategy: 'Always' }));
  assert.equal(v.metadata.name, 'web');
  assert.equal(v.metadata.namespace, 'default');
  assert.deepEqual(v.metadata.labels, { app: 'web' });
  assert.deepEqual(v.metadata.ownerReferences, [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: 'web', uid: 'vm-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(v.spec, { domain: { devices: {} }, terminationGracePeriodSeconds: 5 });
});

test('Always creates the VMI and reports Starting, then Running and ready', () => {
  const r = reconcileVm(vm({ runStrategy: 'Always' }), undefined, ctx());
  assert.deepEqual(types(r), ['createVmi']);
  assert.equal(r.events[0]?.reason, 'SuccessfulCreate');
  assert.equal(r.status?.printableStatus, 'Starting');
  const running = reconcileVm(vm({ runStrategy: 'Always' }, r.status), vmi('Running'), ctx(1));
  assert.deepEqual(types(running), []);
  assert.equal(running.status?.printableStatus, 'Running');
  assert.equal(running.status?.ready, true);
  assert.equal(running.status?.created, true);
  const cond = (running.status?.conditions as Array<{ type: string; status: string }>).find((c) => c.type === 'Ready');
  assert.equal(cond?.status, 'True');
});

test('a new VM gets the finalizer', () => {
  assert.deepEqual(types(reconcileVm(vm({ runStrategy: 'Halted' }, undefined, { finalizers: [] }), undefined, ctx())), ['addFinalizer']);
});

test('Halted deletes the VMI with its grace period and reports Stopping, then Stopped', () => {
  const r = reconcileVm(vm({ running: false }), vmi('Running'), ctx());
  assert.deepEqual(r.actions, [{ type: 'deleteVmi', uid: 'vmi-1', graceSeconds: 5 }]);
  assert.equal(r.status?.printableStatus, 'Stopping');
  const deleting = reconcileVm(vm({ running: false }), vmi('Running', { deletionTimestamp: 'now' }), ctx());
  assert.deepEqual(types(deleting), [], 'no second delete');
  const gone = reconcileVm(vm({ running: false }), undefined, ctx());
  assert.equal(gone.status?.printableStatus, 'Stopped');
  assert.equal(gone.status?.created, undefined);
  assert.deepEqual(types(gone), []);
});

test('Always recreates a VMI that Succeeded, without backoff', () => {
  const r = reconcileVm(vm({ runStrategy: 'Always' }), vmi('Succeeded'), ctx());
  assert.deepEqual(types(r), ['deleteVmi']);
  assert.equal(r.status?.startFailure, undefined);
});

test('Always and RerunOnFailure restart a Failed VMI after a growing backoff (CrashLoopBackOff)', () => {
  for (const runStrategy of ['Always', 'RerunOnFailure']) {
    const failed = reconcileVm(vm({ runStrategy }), vmi('Failed'), ctx());
    assert.deepEqual(types(failed), ['deleteVmi'], runStrategy);
    assert.deepEqual(failed.status?.startFailure, { consecutiveFailCount: 1, lastFailedVMIUID: 'vmi-1', retryAfterTimestamp: '2026-01-01T00:00:10Z' });
    const waiting = reconcileVm(vm({ runStrategy }, failed.status), undefined, ctx(3));
    assert.deepEqual(waiting.actions, [{ type: 'requeueAfter', seconds: 7 }]);
    assert.equal(waiting.status?.printableStatus, 'CrashLoopBackOff');
    const retried = reconcileVm(vm({ runStrategy }, failed.status), undefined, ctx(10));
    assert.deepEqual(types(retried), ['createVmi']);
    const again = reconcileVm(vm({ runStrategy }, retried.status), vmi('Failed', { uid: 'vmi-2' }), ctx(20));
    assert.equal((again.status?.startFailure as { consecutiveFailCount: number }).consecutiveFailCount, 2);
    const ok = reconcileVm(vm({ runStrategy }, again.status), vmi('Running', { uid: 'vmi-3' }), ctx(60));
    assert.equal(ok.status?.startFailure, undefined, 'running resets the failure count');
  }
  assert.equal(crashLoopBackoffSeconds(1), 10);
  assert.equal(crashLoopBackoffSeconds(3), 40);
  assert.equal(crashLoopBackoffSeconds(99), 300);
});

test('RerunOnFailure leaves a VMI that Succeeded', () => {
  const r = reconcileVm(vm({ runStrategy: 'RerunOnFailure' }), vmi('Succeeded'), ctx());
  assert.deepEqual(types(r), []);
  assert.equal(r.status?.printableStatus, 'Stopped');
});

test('Manual creates nothing by itself and follows start and stop requests', () => {
  assert.deepEqual(types(reconcileVm(vm({ runStrategy: 'Manual' }), undefined, ctx())), []);
  const start = reconcileVm(vm({ runStrategy: 'Manual' }, { stateChangeRequests: [{ action: 'Start' }] }), undefined, ctx());
  assert.deepEqual(types(start), ['createVmi']);
  assert.equal(start.status?.stateChangeRequests, undefined, 'the request is consumed');
  const stop = reconcileVm(vm({ runStrategy: 'Manual' }, { stateChangeRequests: [{ action: 'Stop', uid: 'vmi-1' }] }), vmi('Running'), ctx());
  assert.deepEqual(types(stop), ['deleteVmi']);
  assert.deepEqual(stop.status?.stateChangeRequests, [{ action: 'Stop', uid: 'vmi-1' }], 'kept until the VMI is gone');
  const stopped = reconcileVm(vm({ runStrategy: 'Manual' }, stop.status), undefined, ctx());
  assert.equal(stopped.status?.stateChangeRequests, undefined);
  assert.deepEqual(types(stopped), []);
});

test('restart (Stop then Start) deletes the VMI, waits for it to go, then creates a new one', () => {
  const requests = { stateChangeRequests: [{ action: 'Stop', uid: 'vmi-1' }, { action: 'Start' }] };
  const r1 = reconcileVm(vm({ runStrategy: 'Always' }, requests), vmi('Running'), ctx());
  assert.deepEqual(types(r1), ['deleteVmi']);
  const r2 = reconcileVm(vm({ runStrategy: 'Always' }, r1.status), vmi('Running', { deletionTimestamp: 'now' }), ctx(1));
  assert.deepEqual(types(r2), [], 'no create while the old VMI is still stopping');
  const r3 = reconcileVm(vm({ runStrategy: 'Always' }, r2.status), undefined, ctx(2));
  assert.deepEqual(types(r3), ['createVmi']);
  assert.equal(r3.status?.stateChangeRequests, undefined);
});

test('a Stop request for another VMI uid is dropped', () => {
  const r = reconcileVm(vm({ runStrategy: 'Manual' }, { stateChangeRequests: [{ action: 'Stop', uid: 'old' }] }), vmi('Running'), ctx());
  assert.deepEqual(types(r), []);
  assert.equal(r.status?.stateChangeRequests, undefined);
});

test('Once creates one VMI and leaves it when it ends', () => {
  assert.deepEqual(types(reconcileVm(vm({ runStrategy: 'Once' }), undefined, ctx())), ['createVmi']);
  assert.deepEqual(types(reconcileVm(vm({ runStrategy: 'Once' }), vmi('Failed'), ctx())), []);
});

test('deleting the VM deletes its VMI, then lets the VM go', () => {
  const r = reconcileVm(vm({ runStrategy: 'Always' }, undefined, { deletionTimestamp: 'now' }), vmi('Running'), ctx());
  assert.deepEqual(types(r), ['deleteVmi']);
  assert.equal(r.status?.printableStatus, 'Terminating');
  const gone = reconcileVm(vm({ runStrategy: 'Always' }, undefined, { deletionTimestamp: 'now' }), undefined, ctx());
  assert.deepEqual(types(gone), ['removeFinalizer']);
});

test('a VMI of the same name owned by something else is left alone', () => {
  const r = reconcileVm(vm({ runStrategy: 'Halted' }), vmi('Running', { ownerReferences: [{ kind: 'VirtualMachine', uid: 'other', controller: true }] }), ctx());
  assert.deepEqual(types(r), []);
  assert.equal(r.events[0]?.type, 'Warning');
});

test('a steady VM writes nothing', () => {
  const first = reconcileVm(vm({ runStrategy: 'Always' }), vmi('Running'), ctx());
  const second = reconcileVm(vm({ runStrategy: 'Always' }, first.status), vmi('Running'), ctx(30));
  assert.equal(second.status, undefined);
});

test('a VM with DataVolumes not yet succeeded creates no VMI and shows Provisioning, then starts', () => {
  const waiting = reconcileVm(vm({ runStrategy: 'Always' }), undefined, { ...ctx(), dataVolumes: { ready: false, printableStatus: 'Provisioning' } });
  assert.deepEqual(types(waiting), []);
  assert.equal(waiting.status?.printableStatus, 'Provisioning');
  const failed = reconcileVm(vm({ runStrategy: 'Always' }), undefined, { ...ctx(), dataVolumes: { ready: false, printableStatus: 'DataVolumeError' } });
  assert.equal(failed.status?.printableStatus, 'DataVolumeError');
  const ready = reconcileVm(vm({ runStrategy: 'Always' }), undefined, { ...ctx(), dataVolumes: { ready: true } });
  assert.deepEqual(types(ready), ['createVmi']);
});

test('a start request waits for the DataVolumes instead of being dropped', () => {
  const r = reconcileVm(vm({ runStrategy: 'Manual' }, { stateChangeRequests: [{ action: 'Start' }] }), undefined, { ...ctx(), dataVolumes: { ready: false, printableStatus: 'Provisioning' } });
  assert.deepEqual(types(r), []);
  assert.deepEqual(r.status?.stateChangeRequests, [{ action: 'Start' }]);
});

test('a BMC boot override goes into the new VMI only; a one-time one is then cleared from the VM', () => {
  const once = JSON.stringify({ target: 'Pxe', enabled: 'Once', mode: 'UEFI' });
  const r = reconcileVm(vm({ runStrategy: 'Always' }, undefined, { annotations: { 'bmc.pxevirt.io/boot-override': once } }), undefined, ctx());
  const created = r.actions.find((a) => a.type === 'createVmi');
  assert.equal(created?.type === 'createVmi' ? created.vmi.metadata.annotations?.['bmc.pxevirt.io/boot-override'] : undefined, once);
  assert.deepEqual(r.actions.find((a) => a.type === 'clearBootOverride'), { type: 'clearBootOverride', value: once });
  const continuous = JSON.stringify({ target: 'Hdd', enabled: 'Continuous', mode: 'UEFI' });
  const c = reconcileVm(vm({ runStrategy: 'Always' }, undefined, { annotations: { 'bmc.pxevirt.io/boot-override': continuous } }), undefined, ctx());
  assert.ok(!types(c).includes('clearBootOverride'), 'a continuous override stays on the VM');
  assert.equal(vmiFromTemplate(vm({})).metadata.annotations?.['bmc.pxevirt.io/boot-override'], undefined);
});

test("a BMC's virtual media goes into the new VMI with the VM's uid; a template cannot carry its own", () => {
  const media = 'bmc.pxevirt.io/virtual-media';
  const inserted = vmiFromTemplate(vm({}, undefined, { annotations: { [media]: JSON.stringify({ image: 'http://h/a.iso' }) } }));
  assert.deepEqual(JSON.parse(inserted.metadata.annotations?.[media] ?? ''), { image: 'http://h/a.iso', vmUid: 'vm-uid' });
  const forged = vmiFromTemplate(vm({ template: { metadata: { annotations: { [media]: JSON.stringify({ image: 'http://h/a.iso', vmUid: 'other-vm' }) } }, spec: { domain: { devices: {} } } } }));
  assert.equal(forged.metadata.annotations?.[media], undefined);
});
