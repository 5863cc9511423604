import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadQueryError, GoneError } from './errors.ts';
import { NNCP, VMI, collect, openTestStore, vmi } from './test-fixture.ts';
import type { StoredObject, WatchEvent } from './types.ts';

const relabel = (o: StoredObject, labels: Record<string, string>) => ({ ...o, metadata: { ...o.metadata, labels } });

test('a watch without resourceVersion starts with ADDED for current objects, then live events', (t) => {
  const { store } = openTestStore(t);
  store.create(VMI, vmi('b'));
  store.create(VMI, vmi('a'));
  const w = collect(store, t, VMI);
  assert.deepEqual(w.summary(), ['ADDED a@2', 'ADDED b@1']);
  const a = store.update(VMI, relabel(store.get(VMI, 'default', 'a'), { x: '1' }));
  store.create(NNCP, { apiVersion: 'nmstate.io/v1', kind: 'NodeNetworkConfigurationPolicy', metadata: { name: 'n' } });
  store.delete(VMI, 'default', 'b');
  assert.deepEqual(w.summary(), ['ADDED a@2', 'ADDED b@1', 'MODIFIED a@3', 'DELETED b@5']);
  assert.deepEqual(w.events[2]?.object, a);
});

test('resourceVersion "0" also starts from the current objects', (t) => {
  const { store } = openTestStore(t);
  store.create(VMI, vmi('a'));
  assert.deepEqual(collect(store, t, VMI, { resourceVersion: '0' }).summary(), ['ADDED a@1']);
});

test('a watch from a resourceVersion replays the changes after it, then continues live', (t) => {
  const { store } = openTestStore(t);
  const a = store.create(VMI, vmi('a'));
  const list = store.list(VMI);
  store.update(VMI, relabel(a, { v: '2' }));
  store.create(VMI, vmi('b'));
  const w = collect(store, t, VMI, { resourceVersion: list.resourceVersion });
  assert.deepEqual(w.summary(), ['MODIFIED a@2', 'ADDED b@3']);
  store.delete(VMI, 'default', 'a');
  assert.deepEqual(w.summary(), ['MODIFIED a@2', 'ADDED b@3', 'DELETED a@4']);
});

test('a resourceVersion older than the kept history fails with GoneError', (t) => {
  const { store } = openTestStore(t, { historyLimit: 5 });
  for (let i = 0; i < 12; i++) store.create(VMI, vmi(`vm-${i}`));
  const signal = new AbortController().signal;
  assert.throws(() => store.watch(VMI, { resourceVersion: '3' }, () => {}, signal), (e: unknown) => e instanceof GoneError && e.requested === '3' && e.oldest === '7' && /too old resource version: 3 \(7\)/.test(e.message));
  // The oldest start still fully covered works.
  assert.deepEqual(collect(store, t, VMI, { resourceVersion: '7' }).summary(), ['ADDED vm-7@8', 'ADDED vm-8@9', 'ADDED vm-9@10', 'ADDED vm-10@11', 'ADDED vm-11@12']);
  assert.throws(() => store.watch(VMI, { resourceVersion: 'abc' }, () => {}, signal), BadQueryError);
});

test('watch filters by namespace, field and label selector', (t) => {
  const { store } = openTestStore(t);
  const byNamespace = collect(store, t, VMI, { namespace: 'a' });
  const byName = collect(store, t, VMI, { fieldSelector: 'metadata.name=x' });
  const byLabel = collect(store, t, VMI, { labelSelector: 'app=web' });
  store.create(VMI, vmi('x', { namespace: 'a' }));
  store.create(VMI, vmi('y', { namespace: 'b', labels: { app: 'web' } }));
  store.create(VMI, vmi('x', { namespace: 'b' }));
  assert.deepEqual(byNamespace.summary(), ['ADDED x@1']);
  assert.deepEqual(byName.summary(), ['ADDED x@1', 'ADDED x@3']);
  assert.deepEqual(byLabel.summary(), ['ADDED y@2']);
});

test('objects entering and leaving a label selector arrive as ADDED and DELETED, live and replayed', (t) => {
  const { store } = openTestStore(t);
  store.create(VMI, vmi('unrelated'));
  const start = store.currentResourceVersion();
  const live = collect(store, t, VMI, { labelSelector: 'app=web' });
  let o = store.create(VMI, vmi('a', { labels: { app: 'db' } }));
  o = store.update(VMI, relabel(o, { app: 'web' }));
  o = store.update(VMI, relabel(o, { app: 'web', extra: '1' }));
  o = store.update(VMI, relabel(o, { app: 'db' }));
  store.update(VMI, relabel(o, { app: 'other' }));
  const expected = ['ADDED a@3', 'MODIFIED a@4', 'DELETED a@5'];
  assert.deepEqual(live.summary(), expected);
  assert.deepEqual(collect(store, t, VMI, { labelSelector: 'app=web', resourceVersion: start }).summary(), expected);
});

test('a finalizer deletion arrives as MODIFIED then DELETED', (t) => {
  const { store } = openTestStore(t);
  store.create(VMI, { ...vmi('a'), metadata: { name: 'a', namespace: 'default', finalizers: ['f'] } });
  const w = collect(store, t, VMI, { resourceVersion: '1' });
  const { object } = store.delete(VMI, 'default', 'a');
  store.update(VMI, { ...object, metadata: { ...object.metadata, finalizers: [] } });
  assert.deepEqual(w.summary(), ['MODIFIED a@2', 'DELETED a@3']);
  assert.ok(w.events[0]?.object.metadata.deletionTimestamp);
});

test('an aborted watch receives nothing more', (t) => {
  const { store } = openTestStore(t);
  const w = collect(store, t, VMI);
  store.create(VMI, vmi('a'));
  w.controller.abort();
  store.create(VMI, vmi('b'));
  assert.deepEqual(w.summary(), ['ADDED a@1']);
  const signal = AbortSignal.abort();
  let called = false;
  store.watch(VMI, {}, () => (called = true), signal);
  assert.equal(called, false, 'a watch with an aborted signal does not start');
});

test('a watcher that writes from its callback still sees every event once, in order', (t) => {
  const { store } = openTestStore(t);
  store.create(VMI, vmi('seed'));
  const seen: string[] = [];
  const other = collect(store, t, VMI, { resourceVersion: '1' });
  const controller = new AbortController();
  t.after(() => controller.abort());
  store.watch(VMI, {}, (e: WatchEvent) => {
    seen.push(`${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`);
    // A controller reacting to each ADDED by creating a child (during replay and live).
    if (e.type === 'ADDED' && !e.object.metadata.name.endsWith('-child')) store.create(VMI, vmi(`${e.object.metadata.name}-child`));
  }, controller.signal);
  store.create(VMI, vmi('live'));
  const expected = ['ADDED seed@1', 'ADDED seed-child@2', 'ADDED live@3', 'ADDED live-child@4'];
  assert.deepEqual(seen, expected);
  assert.deepEqual(other.summary(), expected.slice(1));
});

test('a watcher whose callback throws is dropped without failing the write', (t) => {
  const { store } = openTestStore(t);
  const controller = new AbortController();
  t.after(() => controller.abort());
  let calls = 0;
  store.watch(VMI, {}, () => { calls++; throw new Error('broken consumer'); }, controller.signal);
  const healthy = collect(store, t, VMI);
  store.create(VMI, vmi('a'));
  store.create(VMI, vmi('b'));
  assert.equal(calls, 1);
  assert.deepEqual(healthy.summary(), ['ADDED a@1', 'ADDED b@2']);
});
