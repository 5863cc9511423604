// The API handler driven as a function (no sockets), over a real store in a temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStream } from './http-types.ts';
import { NADS, body, events, nad, setup, type Obj } from './handler-fixture.ts';

test('refuses requests without the bearer token', (t) => {
  const { call } = setup(t);
  const r = call('GET', '/api', { token: 'wrong' });
  assert.equal(r.status, 401);
  assert.equal(body(r).message, 'Unauthorized');
});

test('serves discovery with short names, verbs and the status subresource', (t) => {
  const { call } = setup(t);
  const groups = body(call('GET', '/apis')).groups as Obj[];
  assert.ok(groups.some((g) => g.name === 'kubevirt.io' && g.preferredVersion.version === 'v1' && g.versions.length === 2));
  const list = body(call('GET', '/apis/kubevirt.io/v1alpha3'));
  assert.equal(list.kind, 'APIResourceList');
  const vmi = (list.resources as Obj[]).find((r) => r.name === 'virtualmachineinstances');
  assert.deepEqual(vmi?.shortNames, ['vmi', 'vmis']);
  assert.ok(vmi?.verbs.includes('watch'));
  assert.ok((list.resources as Obj[]).some((r) => r.name === 'virtualmachineinstances/status'));
  assert.equal(call('GET', '/apis/nope.io/v1').status, 404);
});

test('creates, honours dryRun, and fills server fields', (t) => {
  const { call } = setup(t);
  const dry = call('POST', `${NADS}?dryRun=All`, { body: nad('a') });
  assert.equal(dry.status, 201);
  assert.equal(call('GET', `${NADS}/a`).status, 404);
  const made = call('POST', NADS, { body: { ...nad(''), metadata: { generateName: 'net-' } } });
  assert.equal(made.status, 201);
  assert.match(body(made).metadata.name, /^net-[a-z0-9]{5}$/);
  assert.equal(body(made).metadata.namespace, 'default');
  assert.ok(body(made).metadata.uid);
});

test('drops unknown fields with a Warning under fieldValidation=Warn and refuses them under Strict', (t) => {
  const { call } = setup(t);
  const warned = call('POST', `${NADS}?fieldValidation=Warn`, { body: nad('w', { bogus: 1 }) });
  assert.equal(warned.status, 201);
  assert.deepEqual(warned.headers.warning, ['299 - "unknown field \\"spec.bogus\\""']);
  assert.equal(body(warned).spec.bogus, undefined);
  const strict = call('POST', `${NADS}?fieldValidation=Strict`, { body: nad('s', { bogus: 1 }) });
  assert.equal(strict.status, 400);
  assert.equal(body(strict).message, 'strict decoding error: unknown field "spec.bogus"');
});

test('answers v1alpha3 requests in v1alpha3 with the deprecation warning', (t) => {
  const { call } = setup(t);
  const vmi = {
    apiVersion: 'kubevirt.io/v1alpha3',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'old' },
    spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } },
  };
  const r = call('POST', '/apis/kubevirt.io/v1alpha3/namespaces/default/virtualmachineinstances', { body: vmi });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(body(r).apiVersion, 'kubevirt.io/v1alpha3');
  assert.deepEqual(r.headers.warning, ['299 - "kubevirt.io/v1alpha3 is now deprecated and will be removed in a future release."']);
  assert.equal(body(call('GET', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/old')).apiVersion, 'kubevirt.io/v1');
});

test('lists with limit and continue, and as a Table', (t) => {
  const { call } = setup(t);
  for (const n of ['a', 'b', 'c']) call('POST', NADS, { body: nad(n) });
  const page1 = body(call('GET', `${NADS}?limit=2`));
  assert.equal(page1.items.length, 2);
  assert.ok(page1.metadata.continue);
  const page2 = body(call('GET', `${NADS}?limit=2&continue=${encodeURIComponent(page1.metadata.continue)}`));
  assert.deepEqual(page2.items.map((i: Obj) => i.metadata.name), ['c']);
  const table = body(call('GET', NADS, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }));
  assert.equal(table.kind, 'Table');
  assert.deepEqual(table.rows.map((r: Obj) => r.cells[0]), ['a', 'b', 'c']);
  const all = body(call('GET', '/apis/k8s.cni.cncf.io/v1/network-attachment-definitions'));
  assert.equal(all.items.length, 3);
});

test('updates the status only through /status and refuses stale resourceVersions', (t) => {
  const { call } = setup(t);
  const created = body(call('POST', '/apis/nmstate.io/v1/nodenetworkconfigurationpolicies', { body: { apiVersion: 'nmstate.io/v1', kind: 'NodeNetworkConfigurationPolicy', metadata: { name: 'p' }, spec: { desiredState: { interfaces: [] } } } }));
  const status = call('PATCH', '/apis/nmstate.io/v1/nodenetworkconfigurationpolicies/p/status', { body: { status: { conditions: [{ type: 'Available', status: 'True' }] } }, contentType: 'application/merge-patch+json' });
  assert.equal(status.status, 200, JSON.stringify(status.body));
  assert.equal(body(status).status.conditions[0].type, 'Available');
  const ignored = call('PATCH', '/apis/nmstate.io/v1/nodenetworkconfigurationpolicies/p', { body: { status: { conditions: [] } }, contentType: 'application/merge-patch+json' });
  assert.equal(body(ignored).status.conditions.length, 1, 'status is not written through the main resource');
  const stale = call('PUT', '/apis/nmstate.io/v1/nodenetworkconfigurationpolicies/p', { body: created });
  assert.equal(stale.status, 409);
  assert.equal(body(stale).reason, 'Conflict');
});

test('deletes with preconditions and answers Status Success', (t) => {
  const { call } = setup(t);
  call('POST', NADS, { body: nad('d') });
  const refused = call('DELETE', `${NADS}/d`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'other' } } });
  assert.equal(refused.status, 409);
  const ok = call('DELETE', `${NADS}/d`);
  assert.equal(ok.status, 200);
  assert.equal(body(ok).status, 'Success');
  assert.equal(body(ok).details.name, 'd');
  assert.equal(call('GET', `${NADS}/d`).status, 404);
});

test('watches from a resourceVersion and ends at timeoutSeconds', async (t) => {
  const { call } = setup(t);
  const rv = body(call('GET', NADS)).metadata.resourceVersion;
  call('POST', NADS, { body: nad('w1') });
  const controller = new AbortController();
  const r = call('GET', `${NADS}?watch=true&resourceVersion=${rv}&timeoutSeconds=1`, { signal: controller.signal });
  const seen = events(r, controller.signal);
  call('POST', NADS, { body: nad('w2') });
  const got = await seen;
  assert.deepEqual(got.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w1', 'ADDED w2']);
});

test('reads watch as kube-apiserver does: True, the empty string and any value watch; 0 and false in any case list', (t) => {
  const { call } = setup(t);
  const controller = new AbortController();
  t.after(() => controller.abort());
  for (const form of ['watch=True', 'watch=TRUE', 'watch=', 'watch', 'watch=yes', 'watch=1']) {
    assert.ok(isStream(call('GET', `${NADS}?${form}`, { signal: controller.signal }).body), `${form} should watch`);
  }
  for (const form of ['watch=false', 'watch=False', 'watch=0', '']) {
    assert.equal(body(call('GET', `${NADS}?${form}`)).kind, 'NetworkAttachmentDefinitionList', `${form} should list`);
  }
});

test('a watch from a compacted resourceVersion gets an ERROR event with a 410 Status', async (t) => {
  const { call } = setup(t, 1);
  for (const n of ['a', 'b', 'c']) call('POST', NADS, { body: nad(n) });
  const controller = new AbortController();
  const got = await events(call('GET', `${NADS}?watch=1&resourceVersion=1`, { signal: controller.signal }), controller.signal);
  assert.equal(got.length, 1);
  assert.equal(got[0]?.type, 'ERROR');
  assert.equal(got[0]?.object.code, 410);
  assert.equal(got[0]?.object.reason, 'Expired');
});

test('refuses a body over 3 MiB with 413', (t) => {
  const { call } = setup(t);
  const r = call('POST', NADS, { body: 'x'.repeat(3 * 1024 * 1024 + 1) });
  assert.equal(r.status, 413);
  assert.equal(body(r).message, 'Request entity too large: limit is 3145728');
});

test('deletes a collection by label selector', (t) => {
  const { call } = setup(t);
  call('POST', NADS, { body: { ...nad('keep'), metadata: { name: 'keep', labels: { batch: 'b' } } } });
  call('POST', NADS, { body: { ...nad('drop'), metadata: { name: 'drop', labels: { batch: 'a' } } } });
  const r = call('DELETE', `${NADS}?labelSelector=batch%3Da`);
  assert.equal(r.status, 200);
  assert.deepEqual(body(r).items.map((i: Obj) => i.metadata.name), ['drop']);
  assert.deepEqual(body(call('GET', NADS)).items.map((i: Obj) => i.metadata.name), ['keep']);
});

test('lists Events by involvedObject and prints them like the API server (Object as kind/name, Name last)', (t) => {
  const { call } = setup(t);
  const event = (name: string, involved: string) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name },
    involvedObject: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: involved, namespace: 'default' },
    reason: 'Started',
    message: 'started',
    type: 'Normal',
    lastTimestamp: '2024-05-01T10:00:00Z',
  });
  assert.equal(call('POST', '/api/v1/namespaces/default/events', { body: event('e1', 'vm-a') }).status, 201);
  call('POST', '/api/v1/namespaces/default/events', { body: event('e2', 'vm-b') });
  const list = body(call('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dvm-a,involvedObject.kind%3DVirtualMachineInstance'));
  assert.deepEqual(list.items.map((i: Obj) => i.metadata.name), ['e1']);
  const table = body(call('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dvm-a', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }));
  assert.deepEqual(table.columnDefinitions.map((c: Obj) => c.name), ['Last Seen', 'Type', 'Reason', 'Object', 'Message', 'Name']);
  assert.deepEqual(table.rows[0].cells, ['60s', 'Normal', 'Started', 'virtualmachineinstance/vm-a', 'started', 'e1']);
  assert.equal(call('GET', `${NADS}?fieldSelector=spec.config%3Dx`).status, 400);
});

test('deleting a namespace deletes what is in it', (t) => {
  const { call } = setup(t);
  assert.equal(call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lab' } } }).status, 201);
  assert.equal(call('POST', '/apis/k8s.cni.cncf.io/v1/namespaces/lab/network-attachment-definitions', { body: nad('in-lab') }).status, 201);
  call('POST', NADS, { body: nad('in-default') });
  assert.equal(call('DELETE', '/api/v1/namespaces/lab').status, 200);
  assert.deepEqual(body(call('GET', '/apis/k8s.cni.cncf.io/v1/network-attachment-definitions')).items.map((i: Obj) => i.metadata.name), ['in-default']);
  assert.equal(call('DELETE', '/api/v1/namespaces/default').status, 403);
});

test('refuses writes to a namespaced kind without a namespace in the URL', (t) => {
  const { call } = setup(t);
  assert.equal(call('POST', '/apis/k8s.cni.cncf.io/v1/network-attachment-definitions', { body: nad('x') }).status, 405);
  assert.equal(call('GET', '/apis/k8s.cni.cncf.io/v1/network-attachment-definitions/x').status, 404);
});
