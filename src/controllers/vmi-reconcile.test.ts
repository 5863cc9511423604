import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GuestObservation } from '../runtime/types.ts';
import { graceSecondsOf, reconcileVmi, SOFTWARE_EMULATION_MESSAGE, VMI_FINALIZER, VmiEventMessage, type VmiLike, type VmiLocalState } from './vmi-reconcile.ts';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const ctx = (s = 0, local: VmiLocalState = {}) => ({ now: at(s), nodeName: 'node-a', local });

function vmi(status: Record<string, unknown> | undefined, extra: Partial<VmiLike['metadata']> = {}, spec: Record<string, unknown> = {}): VmiLike {
  return { metadata: { name: 'v', namespace: 'default', uid: 'u1', finalizers: [VMI_FINALIZER], ...extra }, spec, ...(status ? { status } : {}) };
}

function guest(state: GuestObservation['state'], extra: Partial<GuestObservation> = {}): GuestObservation {
  return { uid: 'u1', netns: 'pxv-u1', runDir: '/run/u1', pid: 42, state, softwareEmulation: false, interfaces: [], startedAt: T0.toISOString(), ...extra };
}

/** Applies a result's status to the VMI, as the controller's status write does. */
const apply = (v: VmiLike, status: Record<string, unknown> | undefined): VmiLike => (status ? { ...v, status } : v);
const phases = (status: Record<string, unknown> | undefined) => ((status?.phaseTransitionTimestamps ?? []) as Array<{ phase: string }>).map((p) => p.phase);
const ready = (status: Record<string, unknown> | undefined) => ((status?.conditions ?? []) as Array<{ type: string; status: string; reason?: string; message?: string }>).find((c) => c.type === 'Ready');

test('a new VMI becomes Pending and gets the finalizer', () => {
  const r = reconcileVmi(vmi(undefined, { finalizers: [] }), undefined, ctx());
  assert.equal(r.status?.phase, 'Pending');
  assert.deepEqual(phases(r.status), ['Pending']);
  assert.deepEqual(r.actions, [{ type: 'addFinalizer' }]);
  assert.equal(ready(r.status)?.status, 'False');
  assert.equal(ready(r.status)?.reason, 'GuestNotRunning');
});

test('a VMI the API defaulted to Pending gets its Pending timestamp recorded', () => {
  const r = reconcileVmi(vmi({ phase: 'Pending' }), undefined, ctx());
  assert.deepEqual(r.status?.phaseTransitionTimestamps, [{ phase: 'Pending', phaseTransitionTimestamp: '2026-01-01T00:00:00Z' }]);
  assert.deepEqual(r.actions, []);
});

test('walks Pending → Scheduling → Scheduled → Running with events and timestamps', () => {
  let v = apply(vmi(undefined), reconcileVmi(vmi(undefined), undefined, ctx()).status);
  const s1 = reconcileVmi(v, undefined, ctx(1));
  assert.equal(s1.status?.phase, 'Scheduling');
  assert.equal(s1.status?.nodeName, 'node-a');
  assert.deepEqual(s1.actions, [{ type: 'start' }]);
  assert.deepEqual(s1.events.map((e) => e.reason), ['SuccessfulCreate']);
  v = apply(v, s1.status);

  // While the start is in flight and nothing is observed yet: no second start, no change.
  const waiting = reconcileVmi(v, undefined, ctx(2, { starting: true }));
  assert.equal(waiting.status, undefined);
  assert.deepEqual(waiting.actions, []);

  const s2 = reconcileVmi(v, guest('starting'), ctx(3, { starting: true }));
  assert.equal(s2.status?.phase, 'Scheduled');
  assert.deepEqual(s2.events, [{ type: 'Normal', reason: 'Created', message: VmiEventMessage.defined }]);
  v = apply(v, s2.status);

  const s3 = reconcileVmi(v, guest('running'), ctx(4));
  assert.equal(s3.status?.phase, 'Running');
  assert.deepEqual(s3.events, [{ type: 'Normal', reason: 'Started', message: VmiEventMessage.started }]);
  assert.equal(ready(s3.status)?.status, 'True');
  assert.deepEqual(phases(s3.status), ['Pending', 'Scheduling', 'Scheduled', 'Running']);
  assert.equal((s3.status?.phaseTransitionTimestamps as Array<{ phaseTransitionTimestamp: string }>)[3]?.phaseTransitionTimestamp, '2026-01-01T00:00:04Z');
  v = apply(v, s3.status);

  const steady = reconcileVmi(v, guest('running'), ctx(60));
  assert.equal(steady.status, undefined, 'a running guest changes nothing');
  assert.deepEqual(steady.events, []);
  assert.deepEqual(steady.actions, []);
});

test('a guest found running straight away passes through Scheduled in one write', () => {
  const v = vmi({ phase: 'Scheduling', phaseTransitionTimestamps: [{ phase: 'Pending', phaseTransitionTimestamp: 'x' }, { phase: 'Scheduling', phaseTransitionTimestamp: 'y' }] });
  const r = reconcileVmi(v, guest('running'), ctx());
  assert.deepEqual(phases(r.status), ['Pending', 'Scheduling', 'Scheduled', 'Running']);
  assert.deepEqual(r.events.map((e) => e.reason), ['Created', 'Started']);
});

test('reports interfaces and software emulation from the observation', () => {
  const obs = guest('running', { softwareEmulation: true, interfaces: [{ name: 'default', mac: '02:00:00:00:00:01', interfaceName: 'eth0', ipAddress: '10.0.2.2' }, { name: 'pxe', mac: '02:00:00:00:00:02' }] });
  const r = reconcileVmi(vmi({ phase: 'Scheduled', phaseTransitionTimestamps: [{ phase: 'Scheduled' }] }), obs, ctx());
  assert.deepEqual(r.status?.interfaces, [
    { name: 'default', mac: '02:00:00:00:00:01', interfaceName: 'eth0', ipAddress: '10.0.2.2', ipAddresses: ['10.0.2.2'], infoSource: 'domain' },
    { name: 'pxe', mac: '02:00:00:00:00:02', infoSource: 'domain' },
  ]);
  const emulation = (r.status?.conditions as Array<{ type: string; status: string; message?: string }>).find((c) => c.type === 'SoftwareEmulation');
  assert.equal(emulation?.status, 'True');
  assert.equal(emulation?.message, SOFTWARE_EMULATION_MESSAGE);
});

test('keeps a condition\'s lastTransitionTime while its status holds', () => {
  const first = reconcileVmi(vmi({ phase: 'Scheduled', phaseTransitionTimestamps: [{ phase: 'Scheduled' }] }), guest('running'), ctx(5));
  const v = apply(vmi(undefined), first.status);
  const second = reconcileVmi(v, guest('running', { interfaces: [{ name: 'default', mac: '02:00:00:00:00:09' }] }), ctx(50));
  assert.equal(ready(second.status)?.status, 'True');
  assert.equal((ready(second.status) as { lastTransitionTime?: string }).lastTransitionTime, '2026-01-01T00:00:05Z');
});

test('a guest that powers off ends Succeeded', () => {
  const v = vmi({ phase: 'Running', phaseTransitionTimestamps: [{ phase: 'Running' }] });
  const r = reconcileVmi(v, guest('exited', { exit: { kind: 'shutdown', reason: 'guest powered off' } }), ctx());
  assert.equal(r.status?.phase, 'Succeeded');
  assert.equal(ready(r.status)?.status, 'False');
  assert.deepEqual(r.events, [{ type: 'Normal', reason: 'Stopped', message: VmiEventMessage.shutdown }]);
  assert.deepEqual(r.actions, []);
});

test('QEMU dying ends Failed with the reason', () => {
  const v = vmi({ phase: 'Running', phaseTransitionTimestamps: [{ phase: 'Running' }] });
  const r = reconcileVmi(v, guest('exited', { exit: { kind: 'killed', reason: 'qemu killed by SIGKILL', signal: 'SIGKILL' } }), ctx());
  assert.equal(r.status?.phase, 'Failed');
  assert.equal(r.status?.reason, 'Killed');
  assert.equal(ready(r.status)?.message, 'qemu killed by SIGKILL');
  assert.equal(r.events[0]?.type, 'Warning');
  assert.match(r.events[0]?.message ?? '', /crashed\. qemu killed by SIGKILL/);
  const crashed = reconcileVmi(v, guest('exited', { exit: { kind: 'crashed', reason: 'qemu: could not open disk' } }), ctx());
  assert.equal(crashed.status?.reason, 'Crashed');
});

test('a failed start ends Failed with the error', () => {
  const v = vmi({ phase: 'Scheduling', phaseTransitionTimestamps: [{ phase: 'Scheduling' }] });
  const r = reconcileVmi(v, undefined, ctx(0, { startError: 'pull of registry/x failed: 404' }));
  assert.equal(r.status?.phase, 'Failed');
  assert.equal(r.status?.reason, 'FailedCreate');
  assert.deepEqual(r.events, [{ type: 'Warning', reason: 'SyncFailed', message: 'pull of registry/x failed: 404' }]);
});

test('a Running VMI whose guest the runtime no longer knows ends Failed', () => {
  const r = reconcileVmi(vmi({ phase: 'Running', phaseTransitionTimestamps: [{ phase: 'Running' }] }), undefined, ctx());
  assert.equal(r.status?.phase, 'Failed');
  assert.equal(r.status?.reason, 'Lost');
});

test('a VMI left Scheduling by a restarted daemon is started again', () => {
  const r = reconcileVmi(vmi({ phase: 'Scheduling', phaseTransitionTimestamps: [{ phase: 'Scheduling' }] }), undefined, ctx());
  assert.deepEqual(r.actions, [{ type: 'start' }]);
});

test('final phases stay final', () => {
  for (const phase of ['Succeeded', 'Failed']) {
    const r = reconcileVmi(vmi({ phase, phaseTransitionTimestamps: [{ phase }] }), guest('running'), ctx());
    assert.equal(r.status, undefined);
    assert.deepEqual(r.actions, []);
  }
});

test('the grace period comes from the delete, then the spec, then 30', () => {
  assert.equal(graceSecondsOf(vmi(undefined, { deletionGracePeriodSeconds: 0 }, { terminationGracePeriodSeconds: 10 })), 0);
  assert.equal(graceSecondsOf(vmi(undefined, {}, { terminationGracePeriodSeconds: 10 })), 10);
  assert.equal(graceSecondsOf(vmi(undefined)), 30);
});

test('deleting a running VMI stops it with the grace period, then cleans up and lets it go', () => {
  const running = { phase: 'Running', phaseTransitionTimestamps: [{ phase: 'Running' }], conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: 'x' }] };
  const v = vmi(running, { deletionTimestamp: 'now', deletionGracePeriodSeconds: 7 });
  const r1 = reconcileVmi(v, guest('running'), ctx());
  assert.deepEqual(r1.actions, [{ type: 'stop', graceSeconds: 7 }]);
  assert.deepEqual(r1.events, [{ type: 'Normal', reason: 'ShuttingDown', message: VmiEventMessage.gracefulShutdown }]);
  assert.equal(ready(r1.status)?.reason, 'PodTerminating');
  const v2 = apply(v, r1.status);

  const r2 = reconcileVmi(v2, guest('running'), ctx(1, { stopping: true }));
  assert.deepEqual(r2.actions, [], 'no second stop while one is under way');
  assert.deepEqual(r2.events, []);

  const r3 = reconcileVmi(v2, guest('exited', { exit: { kind: 'killed', reason: 'killed after the grace period' } }), ctx(8, { stopping: true }));
  assert.deepEqual(r3.actions, [{ type: 'cleanup' }, { type: 'removeFinalizer' }]);
  assert.equal(r3.status?.phase, 'Succeeded', 'a guest stopped for deletion is not a failure');
});

test('deleting with grace 0 signals deletion', () => {
  const v = vmi({ phase: 'Running', phaseTransitionTimestamps: [{ phase: 'Running' }] }, { deletionTimestamp: 'now', deletionGracePeriodSeconds: 0 });
  const r = reconcileVmi(v, guest('running'), ctx());
  assert.deepEqual(r.actions, [{ type: 'stop', graceSeconds: 0 }]);
  assert.deepEqual(r.events, [{ type: 'Normal', reason: 'Deleted', message: VmiEventMessage.signalDeletion }]);
});

test('deleting waits for a start in flight', () => {
  const v = vmi({ phase: 'Scheduling', phaseTransitionTimestamps: [{ phase: 'Scheduling' }] }, { deletionTimestamp: 'now' });
  assert.deepEqual(reconcileVmi(v, undefined, ctx(0, { starting: true })).actions, []);
  assert.deepEqual(reconcileVmi(v, undefined, ctx(0)).actions, [{ type: 'cleanup' }, { type: 'removeFinalizer' }]);
});

test('deleting a finished VMI only cleans up', () => {
  const v = vmi({ phase: 'Failed', phaseTransitionTimestamps: [{ phase: 'Failed' }] }, { deletionTimestamp: 'now' });
  const r = reconcileVmi(v, guest('exited', { exit: { kind: 'crashed', reason: 'x' } }), ctx());
  assert.deepEqual(r.actions, [{ type: 'cleanup' }, { type: 'removeFinalizer' }]);
  assert.equal(r.status, undefined);
});

test('a deleted VMI without the finalizer has nothing left to do', () => {
  const v = vmi({ phase: 'Pending' }, { deletionTimestamp: 'now', finalizers: [] });
  assert.deepEqual(reconcileVmi(v, undefined, ctx()).actions, []);
});

test('a paused guest: Paused condition with KubeVirt\'s reason, Ready False from the readiness gate; unpaused: both back', () => {
  const running = vmi({ phase: 'Running', phaseTransitionTimestamps: [{ phase: 'Running', phaseTransitionTimestamp: at(0).toISOString() }], conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: at(0).toISOString() }] }, { finalizers: [VMI_FINALIZER] });
  const paused = reconcileVmi(running, guest('running', { paused: true }), ctx(5));
  const conditions = (paused.status?.conditions ?? []) as Array<{ type: string; status: string; reason?: string; message?: string }>;
  assert.deepEqual(conditions.find((c) => c.type === 'Paused'), { type: 'Paused', status: 'True', reason: 'PausedByUser', message: 'VMI was paused by user', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:05Z' });
  assert.equal(ready(paused.status)?.status, 'False');
  assert.equal(ready(paused.status)?.reason, 'ReadinessGatesNotReady');
  assert.equal(paused.status?.phase, 'Running', 'a paused VMI stays Running');
  assert.deepEqual(paused.actions, []);

  const resumed = reconcileVmi(apply(running, paused.status), guest('running'), ctx(9));
  const after = (resumed.status?.conditions ?? []) as Array<{ type: string }>;
  assert.equal(after.some((c) => c.type === 'Paused'), false);
  assert.equal(ready(resumed.status)?.status, 'True');
});
