import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadQueryError } from './errors.ts';
import { NNCP, VMI, openTestStore, vmi } from './test-fixture.ts';
import type { ObjectStore } from './types.ts';

const names = (store: ObjectStore, options: Parameters<ObjectStore['list']>[1]) => store.list(VMI, options).items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

function seed(store: ObjectStore) {
  store.create(VMI, vmi('web-2', { namespace: 'b', labels: { app: 'web', tier: 'front' } }));
  store.create(VMI, vmi('db', { namespace: 'a', labels: { app: 'db' } }));
  store.create(VMI, vmi('web-1', { namespace: 'a', labels: { app: 'web' } }));
  store.create(VMI, vmi('plain', { namespace: 'b' }));
}

test('lists every namespace sorted by namespace then name, with the current resourceVersion', (t) => {
  const { store } = openTestStore(t);
  seed(store);
  store.create(NNCP, { apiVersion: 'nmstate.io/v1', kind: 'NodeNetworkConfigurationPolicy', metadata: { name: 'other-kind' } });
  const all = store.list(VMI);
  assert.deepEqual(all.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`), ['a/db', 'a/web-1', 'b/plain', 'b/web-2']);
  assert.equal(all.resourceVersion, '5');
  assert.equal(all.continue, undefined);
  assert.equal(all.remainingItemCount, undefined);
  assert.deepEqual(store.list(NNCP).items.map((o) => o.metadata.name), ['other-kind']);
});

test('filters by namespace', (t) => {
  const { store } = openTestStore(t);
  seed(store);
  assert.deepEqual(names(store, { namespace: 'b' }), ['b/plain', 'b/web-2']);
  assert.deepEqual(names(store, { namespace: 'none' }), []);
  const page = store.list(VMI, { namespace: 'a', limit: 1 });
  assert.equal(page.remainingItemCount, 1);
  assert.deepEqual(store.list(VMI, { namespace: 'a', limit: 1, ...(page.continue ? { continue: page.continue } : {}) }).items.map((o) => o.metadata.name), ['web-1']);
});

test('filters by label selector', (t) => {
  const { store } = openTestStore(t);
  seed(store);
  assert.deepEqual(names(store, { labelSelector: 'app=web' }), ['a/web-1', 'b/web-2']);
  assert.deepEqual(names(store, { labelSelector: 'app in (db,web),tier!=front' }), ['a/db', 'a/web-1']);
  assert.deepEqual(names(store, { labelSelector: '!app' }), ['b/plain']);
  assert.deepEqual(names(store, { labelSelector: 'app=web', namespace: 'a' }), ['a/web-1']);
});

test('filters by field selector on metadata.name and metadata.namespace', (t) => {
  const { store } = openTestStore(t);
  seed(store);
  assert.deepEqual(names(store, { fieldSelector: 'metadata.name=db' }), ['a/db']);
  assert.deepEqual(names(store, { fieldSelector: 'metadata.namespace!=a' }), ['b/plain', 'b/web-2']);
  assert.deepEqual(names(store, { fieldSelector: 'metadata.namespace==b,metadata.name!=plain' }), ['b/web-2']);
});

test('an unsupported field selector or malformed label selector is a BadQueryError', (t) => {
  const { store } = openTestStore(t);
  seed(store);
  assert.throws(() => store.list(VMI, { fieldSelector: 'status.phase=Running' }), (e: unknown) => e instanceof BadQueryError && /status\.phase/.test(e.message));
  assert.throws(() => store.list(VMI, { labelSelector: 'app in web' }), BadQueryError);
  assert.throws(() => store.list(VMI, { continue: 'not a token' }), (e: unknown) => e instanceof BadQueryError && e.parameter === 'continue');
  assert.throws(() => store.list(VMI, { limit: -1 }), (e: unknown) => e instanceof BadQueryError && e.parameter === 'limit');
});

test('events can be selected by involvedObject fields, as kubectl describe asks', (t) => {
  const { store } = openTestStore(t);
  const EVENTS = { group: '', resource: 'events' };
  const event = (name: string, object: string) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' }, involvedObject: { kind: 'VirtualMachineInstance', name: object, namespace: 'default' }, reason: 'Created' });
  store.create(EVENTS, event('e1', 'vm1'));
  store.create(EVENTS, event('e2', 'vm2'));
  const found = store.list(EVENTS, { fieldSelector: 'involvedObject.name=vm1,involvedObject.namespace=default,involvedObject.kind=VirtualMachineInstance' });
  assert.deepEqual(found.items.map((o) => o.metadata.name), ['e1']);
  assert.throws(() => store.list(VMI, { fieldSelector: 'involvedObject.name=vm1' }), BadQueryError, 'only events have those fields');
});

test('pages through many objects with limit and continue, seeing each once', (t) => {
  const { store } = openTestStore(t);
  for (let i = 0; i < 250; i++) {
    const namespace = `ns-${i % 3}`;
    store.create(VMI, vmi(`vm-${String(i).padStart(3, '0')}`, { namespace, labels: { parity: i % 2 === 0 ? 'even' : 'odd' } }));
  }
  const expected = store.list(VMI).items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
  assert.equal(expected.length, 250);
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  const firstRv = store.list(VMI, { limit: 1 }).resourceVersion;
  do {
    const page = store.list(VMI, { limit: 40, ...(token ? { continue: token } : {}) });
    pages++;
    seen.push(...page.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
    assert.equal(page.resourceVersion, firstRv, 'every page reports the first page resourceVersion');
    if (page.continue) assert.equal(page.remainingItemCount, (pages > 2 ? 251 : 250) - seen.length);
    // A write between pages does not disturb the paging order.
    if (pages === 2) store.create(VMI, vmi('zzz-late', { namespace: 'ns-9' }));
    token = page.continue;
  } while (token);
  assert.equal(pages, 7);
  assert.deepEqual(seen, [...expected, 'ns-9/zzz-late']);
});

test('pages with a selector and a namespace return only matching items, without a count', (t) => {
  const { store } = openTestStore(t);
  for (let i = 0; i < 60; i++) store.create(VMI, vmi(`vm-${String(i).padStart(2, '0')}`, { namespace: i < 30 ? 'a' : 'b', labels: { parity: i % 2 === 0 ? 'even' : 'odd' } }));
  const seen: string[] = [];
  let page = store.list(VMI, { namespace: 'b', labelSelector: 'parity=even', limit: 4 });
  assert.ok(page.continue);
  assert.equal(page.remainingItemCount, undefined, 'as the API server, no count with selectors');
  seen.push(...page.items.map((o) => o.metadata.name));
  while (page.continue) {
    page = store.list(VMI, { namespace: 'b', labelSelector: 'parity=even', limit: 4, continue: page.continue });
    seen.push(...page.items.map((o) => o.metadata.name));
  }
  assert.deepEqual(seen, Array.from({ length: 15 }, (_, k) => `vm-${30 + 2 * k}`));
  assert.equal(page.remainingItemCount, undefined);
});

test('a limit larger than the list returns everything without a continue token', (t) => {
  const { store } = openTestStore(t);
  seed(store);
  const page = store.list(VMI, { limit: 4 });
  assert.equal(page.items.length, 4);
  assert.equal(page.continue, undefined);
});
