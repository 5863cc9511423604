import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileNncp, type NncpDesired } from './nncp-reconcile.ts';

const T0 = new Date('2026-01-01T12:00:00Z');
const T1 = new Date('2026-01-01T12:05:00Z');
const desired = (over: Partial<NncpDesired> = {}): NncpDesired => ({ present: true, deleting: false, generation: 1, selectsNode: true, ...over });
const types = (r: { actions: { type: string }[] }) => r.actions.map((a) => a.type);
const summary = (conditions: { type: string; status: string; reason?: string }[] | undefined) => (conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason ?? ''}`);

test('a new policy that selects the node is applied, its conditions Progressing at the given time', () => {
  const r = reconcileNncp(desired(), { conditions: [] }, T0);
  assert.deepEqual(types(r), ['apply']);
  const progressing = r.status?.conditions.find((c) => c.type === 'Progressing');
  assert.equal(progressing?.status, 'True');
  assert.equal(progressing?.lastTransitionTime, '2026-01-01T12:00:00Z');
});

test('a policy applied for this generation is not applied again; its status follows the outcome', () => {
  const r = reconcileNncp(desired(), { appliedOutcome: 'available', conditions: [] }, T0);
  assert.deepEqual(types(r), []);
  assert.ok(summary(r.status?.conditions).includes('Available=True/SuccessfullyConfigured'), summary(r.status?.conditions).join(' '));
  // Reconciled again later with those conditions: nothing changes, nothing to write.
  assert.equal(reconcileNncp(desired(), { appliedOutcome: 'available', conditions: r.status?.conditions ?? [] }, T1).status, undefined);
});

test('a policy that does not select the node removes its enactment and reports it not matching', () => {
  const r = reconcileNncp(desired({ selectsNode: false }), { conditions: [] }, T0);
  assert.deepEqual(types(r), ['deleteEnactment']);
  assert.deepEqual(summary(r.status?.conditions), ['Available=True/NoMatchingNode', 'Degraded=False/NoMatchingNode', 'Progressing=False/NoMatchingNode']);
});

test('a deleted policy leaves the host alone and removes only the enactment; one being deleted is left alone', () => {
  assert.deepEqual(types(reconcileNncp(desired({ present: false }), {}, T0)), ['deleteEnactment']);
  const deleting = reconcileNncp(desired({ deleting: true }), { conditions: [] }, T0);
  assert.deepEqual([types(deleting), deleting.status], [[], undefined]);
});
