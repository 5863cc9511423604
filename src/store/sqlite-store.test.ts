import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from './sqlite-store.ts';
import { AlreadyExistsError, BadQueryError, ConflictError, NotFoundError, StoreLockedError, UidConflictError } from './errors.ts';
import { NNCP, VMI, openTestStore, vmi } from './test-fixture.ts';
import type { StoredObject } from './types.ts';

test('create fills in uid, creationTimestamp, generation and resourceVersion', (t) => {
  const { store } = openTestStore(t);
  const created = store.create(VMI, vmi('a', { labels: { app: 'x' } }));
  assert.match(created.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(created.metadata.creationTimestamp, '2024-05-01T10:00:00Z');
  assert.equal(created.metadata.generation, 1);
  assert.equal(created.metadata.resourceVersion, '1');
  assert.deepEqual(created.metadata.labels, { app: 'x' });
  assert.deepEqual(store.get(VMI, 'default', 'a'), created);
  assert.equal(store.currentResourceVersion(), '1');
});

test('resourceVersion increases across all resources, like one etcd revision', (t) => {
  const { store } = openTestStore(t);
  assert.equal(store.currentResourceVersion(), '0');
  const a = store.create(VMI, vmi('a'));
  const b = store.create(NNCP, { apiVersion: 'nmstate.io/v1', kind: 'NodeNetworkConfigurationPolicy', metadata: { name: 'br' }, spec: {} });
  const c = store.create(VMI, vmi('c', { namespace: 'other' }));
  assert.deepEqual([a, b, c].map((o) => o.metadata.resourceVersion), ['1', '2', '3']);
  assert.equal(b.metadata.namespace, undefined, 'cluster-scoped objects have no namespace');
  assert.deepEqual(store.get(NNCP, undefined, 'br'), b);
});

test('creating a taken name fails with AlreadyExistsError and changes nothing', (t) => {
  const { store } = openTestStore(t);
  const first = store.create(VMI, vmi('a'));
  assert.throws(() => store.create(VMI, vmi('a')), (e: unknown) => e instanceof AlreadyExistsError && e.objectName === 'a');
  assert.deepEqual(store.get(VMI, 'default', 'a'), first);
  assert.equal(store.currentResourceVersion(), '1');
  // The same name in another namespace or resource is a different object.
  store.create(VMI, vmi('a', { namespace: 'other' }));
});

test('generateName appends five random characters when the name is empty', (t) => {
  const { store } = openTestStore(t);
  const created = store.create(VMI, { ...vmi(''), metadata: { name: '', namespace: 'default', generateName: 'vm-' } });
  assert.match(created.metadata.name, /^vm-[a-z0-9]{5}$/);
  assert.equal(created.metadata.generateName, 'vm-');
  assert.equal(store.get(VMI, 'default', created.metadata.name).metadata.uid, created.metadata.uid);
  assert.throws(() => store.create(VMI, vmi('')), BadQueryError);
});

test('get, update and delete of a missing object fail with NotFoundError', (t) => {
  const { store } = openTestStore(t);
  assert.throws(() => store.get(VMI, 'default', 'nope'), (e: unknown) => e instanceof NotFoundError && /"nope" not found/.test(e.message));
  const ghost = { ...vmi('nope'), metadata: { name: 'nope', namespace: 'default' } } as unknown as StoredObject;
  assert.throws(() => store.update(VMI, ghost), NotFoundError);
  assert.throws(() => store.delete(VMI, 'default', 'nope'), NotFoundError);
});

test('update keeps uid and creationTimestamp and takes a new resourceVersion', (t) => {
  const { store, clock } = openTestStore(t);
  const created = store.create(VMI, vmi('a'));
  clock.now = new Date('2024-05-02T00:00:00Z');
  const forged = { ...created, metadata: { ...created.metadata, uid: '', creationTimestamp: '1999-01-01T00:00:00Z', labels: { x: 'y' } } };
  const updated = store.update(VMI, forged);
  assert.equal(updated.metadata.uid, created.metadata.uid);
  assert.equal(updated.metadata.creationTimestamp, created.metadata.creationTimestamp);
  assert.equal(updated.metadata.resourceVersion, '2');
  assert.deepEqual(updated.metadata.labels, { x: 'y' });
  assert.deepEqual(store.get(VMI, 'default', 'a'), updated);
});

test('an update from a stale resourceVersion fails with ConflictError and changes nothing', (t) => {
  const { store } = openTestStore(t);
  const created = store.create(VMI, vmi('a'));
  const first = store.update(VMI, { ...created, metadata: { ...created.metadata, labels: { n: '1' } } }, { expectedResourceVersion: '1' });
  assert.throws(
    () => store.update(VMI, { ...created, metadata: { ...created.metadata, labels: { n: '2' } } }, { expectedResourceVersion: '1' }),
    (e: unknown) => e instanceof ConflictError && e.expected === '1' && e.found === '2' && /the object has been modified/.test(e.message),
  );
  assert.deepEqual(store.get(VMI, 'default', 'a'), first);
});

test('an update naming another uid fails with a Conflict', (t) => {
  const { store } = openTestStore(t);
  const created = store.create(VMI, vmi('a'));
  assert.throws(() => store.update(VMI, { ...created, metadata: { ...created.metadata, uid: 'other' } }), (e: unknown) => e instanceof UidConflictError && e instanceof ConflictError);
});

test('generation increases on spec changes only, not on metadata or status', (t) => {
  const { store } = openTestStore(t);
  const created = store.create(VMI, vmi('a'));
  const labelled = store.update(VMI, { ...created, metadata: { ...created.metadata, annotations: { a: 'b' } } });
  assert.equal(labelled.metadata.generation, 1);
  const status = store.update(VMI, { ...labelled, status: { phase: 'Running' } }, { subresource: 'status' });
  assert.equal(status.metadata.generation, 1);
  const spec = store.update(VMI, { ...status, spec: { domain: { devices: { disks: [] } } } });
  assert.equal(spec.metadata.generation, 2);
  const other = store.update(VMI, { ...spec, data: { x: '1' } });
  assert.equal(other.metadata.generation, 3, 'fields beside spec count too');
});

test('an update that changes nothing writes nothing and keeps the resourceVersion', (t) => {
  const { store } = openTestStore(t);
  const created = store.create(VMI, vmi('a'));
  const same = store.update(VMI, structuredClone(created));
  assert.deepEqual(same, created);
  assert.equal(store.currentResourceVersion(), '1');
});

test('the status subresource writes only .status', (t) => {
  const { store } = openTestStore(t);
  const created = store.create(VMI, vmi('a'));
  const changedEverything = { ...created, metadata: { ...created.metadata, labels: { sneaky: 'yes' } }, spec: { other: true }, status: { phase: 'Scheduled' } };
  const written = store.update(VMI, changedEverything, { subresource: 'status' });
  assert.deepEqual(written.status, { phase: 'Scheduled' });
  assert.deepEqual(written.spec, created.spec);
  assert.equal(written.metadata.labels, undefined);
  assert.equal(written.metadata.resourceVersion, '2');
});

test('a normal update writes .status unless preserveStatus keeps the stored one', (t) => {
  const { store } = openTestStore(t);
  const created = store.create(VMI, vmi('a'));
  const running = store.update(VMI, { ...created, status: { phase: 'Running' } }, { subresource: 'status' });
  const kept = store.update(VMI, { ...running, metadata: { ...running.metadata, labels: { l: '1' } }, status: { phase: 'Forged' } }, { preserveStatus: true });
  assert.deepEqual(kept.status, { phase: 'Running' });
  assert.deepEqual(kept.metadata.labels, { l: '1' });
  const written = store.update(VMI, { ...kept, status: { phase: 'Failed' } });
  assert.deepEqual(written.status, { phase: 'Failed' });
});

test('delete without finalizers removes the object and returns its last state', (t) => {
  const { store } = openTestStore(t);
  const created = store.create(VMI, vmi('a'));
  const { object, removed } = store.delete(VMI, 'default', 'a');
  assert.equal(removed, true);
  assert.equal(object.metadata.uid, created.metadata.uid);
  assert.equal(object.metadata.resourceVersion, '2');
  assert.throws(() => store.get(VMI, 'default', 'a'), NotFoundError);
  assert.equal(store.currentResourceVersion(), '2');
});

test('delete checks its uid and resourceVersion preconditions', (t) => {
  const { store } = openTestStore(t);
  const created = store.create(VMI, vmi('a'));
  assert.throws(() => store.delete(VMI, 'default', 'a', { preconditions: { uid: 'someone-else' } }), /Precondition failed: UID in precondition: someone-else/);
  assert.throws(() => store.delete(VMI, 'default', 'a', { preconditions: { resourceVersion: '7' } }), (e: unknown) => e instanceof ConflictError && e.found === '1');
  assert.deepEqual(store.get(VMI, 'default', 'a'), created);
  assert.equal(store.delete(VMI, 'default', 'a', { preconditions: { uid: created.metadata.uid, resourceVersion: '1' } }).removed, true);
});

test('finalizers hold a deleted object until an update empties them', (t) => {
  const { store, clock } = openTestStore(t);
  const created = store.create(VMI, { ...vmi('a'), metadata: { name: 'a', namespace: 'default', finalizers: ['pxevirt.io/pod', 'other'] } });
  clock.now = new Date('2024-05-01T11:00:00.900Z');
  const first = store.delete(VMI, 'default', 'a');
  assert.equal(first.removed, false);
  assert.equal(first.object.metadata.deletionTimestamp, '2024-05-01T11:00:00Z');
  assert.equal(first.object.metadata.deletionGracePeriodSeconds, 0);
  assert.equal(first.object.metadata.generation, created.metadata.generation + 1);
  const again = store.delete(VMI, 'default', 'a');
  assert.deepEqual(again, { object: first.object, removed: false }, 'a second delete changes nothing');
  // Clients cannot clear deletionTimestamp.
  const cleared = { ...first.object, metadata: { ...first.object.metadata, finalizers: ['other'] } };
  delete cleared.metadata.deletionTimestamp;
  const one = store.update(VMI, cleared);
  assert.equal(one.metadata.deletionTimestamp, '2024-05-01T11:00:00Z');
  assert.deepEqual(store.get(VMI, 'default', 'a').metadata.finalizers, ['other']);
  const last = store.update(VMI, { ...one, metadata: { ...one.metadata, finalizers: [] } });
  assert.equal(last.metadata.resourceVersion, '4');
  assert.throws(() => store.get(VMI, 'default', 'a'), NotFoundError);
});

test('objects, resourceVersion and history survive closing and reopening', (t) => {
  const fixture = openTestStore(t);
  const a = fixture.store.create(VMI, vmi('a'));
  fixture.store.create(VMI, vmi('b'));
  fixture.store.delete(VMI, 'default', 'b');
  fixture.store.close();
  const store = fixture.reopen();
  assert.deepEqual(store.get(VMI, 'default', 'a'), a);
  assert.equal(store.currentResourceVersion(), '3');
  assert.equal(store.create(VMI, vmi('c')).metadata.resourceVersion, '4');
  const seen: string[] = [];
  const controller = new AbortController();
  store.watch(VMI, { resourceVersion: '1' }, (e) => seen.push(`${e.type} ${e.object.metadata.name}`), controller.signal);
  controller.abort();
  assert.deepEqual(seen, ['ADDED b', 'DELETED b', 'ADDED c']);
});

test('a second store on the same file fails with StoreLockedError while the first is open', (t) => {
  const { path } = openTestStore(t);
  assert.throws(() => openSqliteStore({ path }), (e: unknown) => e instanceof StoreLockedError && e.path === path);
});

test('refuses a history limit below one', (t) => {
  const { path } = openTestStore(t);
  assert.throws(() => openSqliteStore({ path: `${path}-2`, historyLimit: 0 }), /historyLimit must be an integer >= 1: current value is 0/);
});
