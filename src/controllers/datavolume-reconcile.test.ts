import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planDataVolume } from '../resources/datavolume-spec.ts';
import { progressText, reconcileDataVolume, type DvObserved } from './datavolume-reconcile.ts';

const NOW = new Date('2026-12-05T10:00:00Z');
const httpSpec = { source: { http: { url: 'http://10.0.0.1/disk.qcow2' } }, storage: { resources: { requests: { storage: '1Gi' } } } };
const cloneSpec = { source: { pvc: { name: 'golden' } }, storage: {} };
const step = (spec: unknown, status: Record<string, unknown>, observed: DvObserved) =>
  reconcileDataVolume({ name: 'disk', namespace: 'default', plan: planDataVolume(spec, 'default'), status }, observed, NOW);
const condition = (status: Record<string, unknown> | undefined, type: string) => (status?.conditions as Array<Record<string, unknown>>).find((c) => c.type === type);

test('an import goes Pending → ImportScheduled → ImportInProgress with progress → Succeeded, as CDI reports it', () => {
  const created = step(httpSpec, {}, {});
  assert.equal(created.status?.phase, 'Pending');
  assert.equal(created.status?.progress, 'N/A');
  assert.deepEqual(created.actions, [{ type: 'createPvc', spec: { resources: { requests: { storage: '1Gi' } }, accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' } }]);
  assert.equal(condition(created.status, 'Bound')?.message, 'No PVC found');

  const bound = step(httpSpec, created.status ?? {}, { pvc: { ownedByDv: true, phase: 'Bound', populated: false } });
  assert.equal(bound.status?.phase, 'ImportScheduled');
  assert.deepEqual(bound.actions, [{ type: 'startTransfer' }]);
  assert.deepEqual(bound.events, [{ type: 'Normal', reason: 'ImportScheduled', message: 'Import into disk scheduled' }]);
  assert.deepEqual(condition(bound.status, 'Bound'), { type: 'Bound', status: 'True', reason: 'Bound', message: 'PVC disk Bound', lastTransitionTime: '2026-12-05T10:00:00Z', lastHeartbeatTime: '2026-12-05T10:00:00Z' });

  const running = step(httpSpec, bound.status ?? {}, { pvc: { ownedByDv: true, phase: 'Bound', populated: false }, transfer: { progress: 45.2 } });
  assert.equal(running.status?.phase, 'ImportInProgress');
  assert.equal(running.status?.progress, '45.20%');
  assert.equal(condition(running.status, 'Running')?.status, 'True');
  assert.equal(condition(running.status, 'Ready')?.reason, 'TransferRunning');
  assert.deepEqual(running.events.map((e) => e.reason), ['ImportInProgress']);

  const done = step(httpSpec, running.status ?? {}, { pvc: { ownedByDv: true, phase: 'Bound', populated: true } });
  assert.equal(done.status?.phase, 'Succeeded');
  assert.equal(done.status?.progress, '100.0%');
  assert.equal(condition(done.status, 'Ready')?.status, 'True');
  assert.equal(condition(done.status, 'Running')?.reason, 'Completed');
  assert.deepEqual(done.events, [{ type: 'Normal', reason: 'ImportSucceeded', message: 'Successfully imported into PVC disk' }]);
  assert.equal(step(httpSpec, done.status ?? {}, { pvc: { ownedByDv: true, phase: 'Bound', populated: true } }).status, undefined);
});

test('a failed transfer ends Failed with its message on Ready and Running, and stays Failed', () => {
  const failed = step(httpSpec, { phase: 'ImportInProgress' }, { pvc: { ownedByDv: true, phase: 'Bound', populated: false }, transfer: { error: 'expected status code 200, got 404 (source http://10.0.0.1/disk.qcow2)' } });
  assert.equal(failed.status?.phase, 'Failed');
  assert.match(String(condition(failed.status, 'Running')?.message), /http:\/\/10\.0\.0\.1\/disk\.qcow2/);
  assert.equal(failed.events[0]?.reason, 'ImportFailed');
  assert.match(failed.events[0]?.message ?? '', /^Failed to import into PVC disk: /);
  assert.deepEqual(step(httpSpec, failed.status ?? {}, { pvc: { ownedByDv: true, phase: 'Bound', populated: false } }).actions, []);
});

test('a transfer cut off by a restart starts again and counts a restart', () => {
  const r = step(httpSpec, { phase: 'ImportInProgress', progress: '30.00%', restartCount: 0 }, { pvc: { ownedByDv: true, phase: 'Bound', populated: false } });
  assert.deepEqual(r.actions, [{ type: 'startTransfer' }]);
  assert.equal(r.status?.restartCount, 1);
});

test('a clone without a size waits for its source, takes its size, and waits until it is ready', () => {
  const missing = step(cloneSpec, {}, { cloneSource: 'missing' });
  assert.equal(missing.status?.phase, 'CloneScheduled');
  assert.equal(condition(missing.status, 'Running')?.message, "The source PVC default/golden doesn't exist");
  assert.deepEqual(missing.actions, []);
  const sized = step(cloneSpec, missing.status ?? {}, { cloneSource: { ready: false, size: '2Gi' } });
  assert.deepEqual(sized.actions, [{ type: 'createPvc', spec: { resources: { requests: { storage: '2Gi' } }, accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem' } }]);
  const busy = step(cloneSpec, sized.status ?? {}, { pvc: { ownedByDv: true, phase: 'Bound', populated: false }, cloneSource: { ready: false, size: '2Gi' } });
  assert.deepEqual(busy.actions, []);
  assert.equal(busy.status?.phase, 'CloneScheduled');
  const go = step(cloneSpec, busy.status ?? {}, { pvc: { ownedByDv: true, phase: 'Bound', populated: false }, cloneSource: { ready: true, size: '2Gi' } });
  assert.deepEqual(go.actions, [{ type: 'startTransfer' }]);
  const done = step(cloneSpec, { phase: 'CloneInProgress' }, { pvc: { ownedByDv: true, phase: 'Bound', populated: true } });
  assert.deepEqual(done.events, [{ type: 'Normal', reason: 'CloneSucceeded', message: 'Successfully cloned from default/golden into default/disk' }]);
});

test('a claim of the same name that the DataVolume does not own is not taken over', () => {
  const r = step(httpSpec, {}, { pvc: { ownedByDv: false, phase: 'Bound', populated: false } });
  assert.deepEqual(r.actions, []);
  assert.equal(r.events[0]?.message, 'Resource "disk" already exists and is not managed by DataVolume');
});

test('progress is shown with two decimals, clamped', () => {
  assert.deepEqual([progressText(0), progressText(45.2), progressText(120)], ['0.00%', '45.20%', '100.00%']);
});
