import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planClaim } from '../resources/claim-spec.ts';
import { PVC_PROTECTION_FINALIZER, reconcilePvc, type PvcDesired } from './pvc-reconcile.ts';

const spec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-qcow2', volumeMode: 'Block' };
const desired = (over: Partial<PvcDesired> = {}): PvcDesired => ({ uid: 'u1', deleting: false, hasFinalizer: true, plan: planClaim(spec), status: { phase: 'Pending' }, ...over });
const types = (r: ReturnType<typeof reconcilePvc>) => r.actions.map((a) => a.type);

test('a new claim gets the protection finalizer and is provisioned with its size, class format and mode', () => {
  const r = reconcilePvc(desired({ hasFinalizer: false }), { provisioned: false });
  assert.deepEqual(types(r), ['addFinalizer', 'provision']);
  const provision = r.actions[1];
  assert.ok(provision?.type === 'provision');
  assert.deepEqual({ bytes: provision.plan.sizeBytes, format: provision.plan.format, mode: provision.plan.volumeMode }, { bytes: 1024 ** 3, format: 'qcow2', mode: 'Block' });
});

test('a provisioned claim is Bound with its capacity and a volume name, with one ProvisioningSucceeded event', () => {
  const r = reconcilePvc(desired(), { provisioned: true });
  assert.deepEqual(r.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
  assert.deepEqual(r.actions, [{ type: 'setVolumeName', volumeName: 'pvc-u1' }]);
  assert.deepEqual(r.events.map((e) => e.reason), ['ProvisioningSucceeded']);
  const again = reconcilePvc(desired({ status: r.status ?? {}, volumeName: 'pvc-u1' }), { provisioned: true });
  assert.deepEqual([again.status, again.actions, again.events], [undefined, [], []]);
});

test('an unknown storage class leaves the claim Pending with a ProvisioningFailed event naming it', () => {
  const r = reconcilePvc(desired({ plan: planClaim({ ...spec, storageClassName: 'fast' }) }), { provisioned: false });
  assert.equal(r.status, undefined);
  assert.deepEqual(r.actions, []);
  assert.match(r.events[0]?.message ?? '', /spec\.storageClassName: storageclass\.storage\.k8s\.io "fast" not found: expected one of local, local-qcow2/);
});

test('a failed provisioning is reported, not retried in a loop', () => {
  const r = reconcilePvc(desired(), { provisioned: false, provisionError: 'no space left on device' });
  assert.deepEqual(r.actions, []);
  assert.match(r.events[0]?.message ?? '', /failed to provision volume with StorageClass "local-qcow2": no space left on device/);
});

test('a deleted claim keeps its disk while a VMI uses it, then the disk and the finalizer go', () => {
  assert.deepEqual(types(reconcilePvc(desired({ deleting: true }), { provisioned: true, usedBy: 'default/web' })), []);
  assert.deepEqual(types(reconcilePvc(desired({ deleting: true }), { provisioned: true })), ['removeDisk', 'removeFinalizer']);
  assert.equal(PVC_PROTECTION_FINALIZER, 'kubernetes.io/pvc-protection');
});
