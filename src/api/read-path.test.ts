// The read path's resourceVersion semantics, bookmarks, sendInitialEvents, shared event
// lines and the watch bound, through the handler over a real store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NADS, body, events, nad, setup, type Obj } from './handler-fixture.ts';

const VMIS_V1 = '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances';
const VMIS_OLD = '/apis/kubevirt.io/v1alpha3/namespaces/default/virtualmachineinstances';
const vmi = (name: string) => ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name }, spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } } });
const rvOf = (o: Obj): number => Number(o.metadata.resourceVersion);

test('lists at the newest state for resourceVersion 0, unset and NotOlderThan an older version', (t) => {
  const { call } = setup(t);
  const first = rvOf(body(call('POST', NADS, { body: nad('a') })));
  call('POST', NADS, { body: nad('b') });
  for (const q of ['', '?resourceVersion=0', `?resourceVersion=${first}`, `?resourceVersion=${first}&resourceVersionMatch=NotOlderThan`]) {
    const list = body(call('GET', `${NADS}${q}`));
    assert.deepEqual(list.items.map((i: Obj) => i.metadata.name), ['a', 'b'], q);
    assert.equal(list.metadata.resourceVersion, String(first + 1), q);
  }
});

test('answers a resourceVersion the store has not reached with 504 Too large resource version', (t) => {
  const { call } = setup(t);
  const r = call('GET', `${NADS}?resourceVersion=999&resourceVersionMatch=NotOlderThan`);
  assert.equal(r.status, 504);
  assert.match(body(r).message, /^Too large resource version: 999, current: \d+$/);
});

test('serves Exact when the resource has not changed since that version, 410 when it has', (t) => {
  const { call } = setup(t);
  const rv = rvOf(body(call('POST', NADS, { body: nad('a') })));
  call('POST', VMIS_V1, { body: vmi('other-kind') });
  const exact = body(call('GET', `${NADS}?resourceVersion=${rv}&resourceVersionMatch=Exact`));
  assert.equal(exact.metadata.resourceVersion, String(rv));
  assert.equal(exact.items.length, 1);
  call('POST', NADS, { body: nad('b') });
  const gone = call('GET', `${NADS}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
  assert.equal(gone.status, 410);
  assert.equal(body(gone).reason, 'Expired');
});

test('refuses the ListOptions kube-apiserver refuses', (t) => {
  const { call } = setup(t);
  const cases: Array<[string, number, RegExp]> = [
    ['?resourceVersionMatch=NotOlderThan', 422, /resourceVersionMatch is forbidden unless resourceVersion is provided/],
    ['?resourceVersion=0&resourceVersionMatch=Exact', 422, /resourceVersionMatch "exact" is forbidden for resourceVersion "0"/],
    ['?resourceVersion=1&resourceVersionMatch=Newest', 422, /Unsupported value: "Newest"/],
    ['?resourceVersion=5&continue=abc', 400, /specifying resource version is not allowed when using continue/],
    ['?watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan', 422, /resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided/],
    ['?watch=1&sendInitialEvents=true', 422, /sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/],
    ['?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=', 422, /requires setting allowWatchBookmarks to true/],
    ['?watch=1&timeoutSeconds=-1', 400, /timeoutSeconds must be a non-negative integer, found "-1"/],
  ];
  for (const [q, code, message] of cases) {
    const r = call('GET', `${NADS}${q}`);
    assert.equal(r.status, code, q);
    assert.match(body(r).message, message, q);
  }
});

test('sendInitialEvents=true sends the current objects, then a bookmark marking their end, then changes', async (t) => {
  const { call } = setup(t);
  call('POST', NADS, { body: nad('a') });
  const controller = new AbortController();
  const r = call('GET', `${NADS}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=`, { signal: controller.signal });
  const got = events(r, controller.signal, (e, all) => {
    if (e.type === 'BOOKMARK') call('POST', NADS, { body: nad('b') });
    if (all.length === 3) controller.abort();
  });
  const [added, end, later] = await got;
  assert.equal(added?.type, 'ADDED');
  assert.equal(added?.object.metadata.name, 'a');
  assert.equal(end?.type, 'BOOKMARK');
  assert.deepEqual(end?.object.metadata.annotations, { 'k8s.io/initial-events-end': 'true' });
  assert.equal(end?.object.kind, 'NetworkAttachmentDefinition');
  assert.equal(later?.type, 'ADDED');
  assert.equal(later?.object.metadata.name, 'b');
});

test('sendInitialEvents=false from no resourceVersion starts at the newest state, without the current objects', async (t) => {
  const { call } = setup(t);
  call('POST', NADS, { body: nad('a') });
  const controller = new AbortController();
  const r = call('GET', `${NADS}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan`, { signal: controller.signal });
  const got = events(r, controller.signal, () => controller.abort());
  call('POST', NADS, { body: nad('b') });
  assert.deepEqual((await got).map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED b']);
});

test('sends bookmarks at the interval and a last one at timeoutSeconds, with the newest resourceVersion', async (t) => {
  const { call, store } = setup(t, undefined, { watch: { bookmarkIntervalMs: 20 } });
  const controller = new AbortController();
  const rv = body(call('GET', NADS)).metadata.resourceVersion;
  const r = call('GET', `${NADS}?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, { signal: controller.signal });
  const got = events(r, controller.signal, (e, all) => {
    if (all.length === 1) call('POST', NADS, { body: nad('a') });
    if (all.filter((x) => x.type === 'BOOKMARK').length === 2) controller.abort();
  });
  const seen = await got;
  const bookmarks = seen.filter((e) => e.type === 'BOOKMARK');
  assert.equal(bookmarks.length, 2);
  assert.equal(bookmarks[1]?.object.metadata.resourceVersion, store.currentResourceVersion());
  const timed = await events(call('GET', `${NADS}?watch=true&allowWatchBookmarks&timeoutSeconds=1`), new AbortController().signal);
  assert.equal(timed[timed.length - 1]?.type, 'BOOKMARK', 'the last event before the deadline is a bookmark');
});

test('gives each watcher the event in its own apiVersion from lines serialised once', async (t) => {
  const { call } = setup(t);
  const controller = new AbortController();
  t.after(() => controller.abort());
  const rv = body(call('GET', VMIS_V1)).metadata.resourceVersion;
  const watch = (path: string) => events(call('GET', `${path}?watch=1&resourceVersion=${rv}`, { signal: controller.signal }), controller.signal);
  const [a, b, old] = [watch(VMIS_V1), watch(VMIS_V1), watch(VMIS_OLD)];
  call('POST', VMIS_V1, { body: vmi('one') });
  controller.abort();
  const [ea, eb, eold] = await Promise.all([a, b, old]);
  assert.deepEqual(ea, eb);
  assert.equal(ea[0]?.object.apiVersion, 'kubevirt.io/v1');
  assert.equal(eold[0]?.object.apiVersion, 'kubevirt.io/v1alpha3');
  assert.deepEqual({ ...eold[0]?.object, apiVersion: 'kubevirt.io/v1' }, ea[0]?.object);
  const listed = body(call('GET', VMIS_OLD));
  assert.equal(listed.apiVersion, 'kubevirt.io/v1alpha3');
  assert.equal(listed.items[0].apiVersion, 'kubevirt.io/v1alpha3');
});

test('refuses a watch beyond maxWatches with 429 and accepts one again when another closes', async (t) => {
  const { call } = setup(t, undefined, { watch: { maxWatches: 2 } });
  const first = new AbortController();
  const second = new AbortController();
  const done = [events(call('GET', `${NADS}?watch=1`, { signal: first.signal }), first.signal), events(call('GET', `${NADS}?watch=1`, { signal: second.signal }), second.signal)];
  const refused = call('GET', `${NADS}?watch=1`);
  assert.equal(refused.status, 429);
  assert.equal(body(refused).reason, 'TooManyRequests');
  assert.equal(body(refused).message, 'too many watches open: at most 2 at once; close one or retry later');
  assert.equal(refused.headers['retry-after'], '1');
  first.abort();
  const third = new AbortController();
  const again = call('GET', `${NADS}?watch=1`, { signal: third.signal });
  assert.equal(again.status, 200);
  const more = events(again, third.signal);
  second.abort();
  third.abort();
  await Promise.all([...done, more]);
});

test('serialises a change once however many watchers receive it', async (t) => {
  const stringifies = async (watchers: number): Promise<number> => {
    const { call } = setup(t);
    const controller = new AbortController();
    const rv = body(call('GET', NADS)).metadata.resourceVersion;
    const all = Array.from({ length: watchers }, () => events(call('GET', `${NADS}?watch=1&resourceVersion=${rv}`, { signal: controller.signal }), controller.signal));
    const original = JSON.stringify;
    let calls = 0;
    JSON.stringify = ((...args: Parameters<typeof JSON.stringify>) => (calls++, original(...args))) as typeof JSON.stringify;
    try {
      call('POST', NADS, { body: nad('a') });
    } finally {
      JSON.stringify = original;
    }
    controller.abort();
    for (const got of await Promise.all(all)) assert.equal(got.length, 1);
    return calls;
  };
  assert.equal(await stringifies(20), await stringifies(1));
});
