// Server-side apply and managedFields through the handler (no sockets), over a real store.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../resources/kinds.ts';
import { openTestStore } from '../store/test-fixture.ts';
import { createApiHandler } from './handler.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const VMIS = '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances';
const vmi = (memory: string) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'a', labels: { app: 'x' } },
  spec: { domain: { devices: {}, resources: { requests: { memory } } } },
  status: { phase: 'Running' },
});

function setup(t: TestContext) {
  const { store } = openTestStore(t);
  store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const handler = createApiHandler({ store, kinds: KINDS, token: 't', now: () => Date.parse('2026-12-05T07:00:00Z') });
  const call = (method: string, url: string, body?: unknown, contentType = 'application/apply-patch+yaml', agent = 'kubectl/v1.32.4 (linux/amd64)') => {
    const u = new URL(url, 'https://x');
    const r = handler({ method, path: u.pathname, query: u.searchParams, headers: { authorization: 'Bearer t', 'content-type': contentType, 'user-agent': agent }, ...(body !== undefined ? { body: Buffer.from(JSON.stringify(body)) } : {}), signal: new AbortController().signal });
    return { status: r.status, body: r.body as Obj };
  };
  return { store, call };
}

test('apply creates a VMI with an Apply entry that leaves out status (a subresource) and server-set metadata', (t) => {
  const { call } = setup(t);
  const r = call('PATCH', `${VMIS}/a?fieldManager=flux`, vmi('64Mi'));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(r.body.metadata.managedFields, [
    {
      manager: 'flux',
      operation: 'Apply',
      apiVersion: 'kubevirt.io/v1',
      time: '2026-12-05T07:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:domain': { 'f:devices': {}, 'f:resources': { 'f:requests': { 'f:memory': {} } } } } },
    },
  ]);
  assert.equal(r.body.status.phase, 'Pending', 'the applied status is ignored: /status is a subresource');
});

test('apply needs a fieldManager; dryRun=All applies without storing', (t) => {
  const { call, store } = setup(t);
  assert.equal(call('PATCH', `${VMIS}/a`, vmi('64Mi')).status, 400);
  const dry = call('PATCH', `${VMIS}/a?fieldManager=flux&dryRun=All`, vmi('64Mi'));
  assert.equal(dry.status, 201);
  assert.equal(store.list({ group: 'kubevirt.io', resource: 'virtualmachineinstances' }).items.length, 0);
  assert.equal(call('PATCH', `${VMIS}/a?fieldManager=flux`, vmi('64Mi')).status, 201);
  const rv = store.currentResourceVersion();
  assert.equal(call('PATCH', `${VMIS}/a?fieldManager=flux&dryRun=All`, { ...vmi('64Mi'), metadata: { name: 'a', labels: { app: 'y' } } }).body.metadata.labels.app, 'y');
  assert.equal(store.currentResourceVersion(), rv);
});

test('a create and a merge patch record Update entries named by fieldManager or the user agent', (t) => {
  const { call } = setup(t);
  assert.equal(call('POST', `${VMIS}?fieldManager=kubectl-create`, vmi('64Mi'), 'application/json').status, 201);
  const patched = call('PATCH', `${VMIS}/a`, { metadata: { labels: { app: 'z' } } }, 'application/merge-patch+json', 'my-script/1.0');
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  const managers = Object.fromEntries((patched.body.metadata.managedFields as Obj[]).map((m) => [m.manager, m]));
  assert.equal(managers['kubectl-create'].operation, 'Update');
  assert.deepEqual(managers['my-script'].fieldsV1, { 'f:metadata': { 'f:labels': { 'f:app': {} } } });
  assert.equal(managers['kubectl-create'].fieldsV1['f:metadata'], undefined, 'the label moved to the patcher');
});

test('a conflict is a 409 Status with a FieldManagerConflict cause per field; force takes the field', (t) => {
  const { call } = setup(t);
  call('PATCH', `${VMIS}/a?fieldManager=flux`, vmi('64Mi'));
  const relabelled = { ...vmi('64Mi'), metadata: { name: 'a', labels: { app: 'y' } } };
  const r = call('PATCH', `${VMIS}/a?fieldManager=argo`, relabelled);
  assert.equal(r.status, 409);
  assert.equal(r.body.reason, 'Conflict');
  assert.equal(r.body.message, 'Apply failed with 1 conflict: conflict with "flux": .metadata.labels.app');
  assert.deepEqual(r.body.details.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "flux"', field: '.metadata.labels.app' }]);
  const forced = call('PATCH', `${VMIS}/a?fieldManager=argo&force=true`, relabelled);
  assert.equal(forced.status, 200, JSON.stringify(forced.body));
  assert.equal(forced.body.metadata.labels.app, 'y');
  // A spec change of a VMI is still refused by admission (KubeVirt's rule), apply or not.
  assert.equal(call('PATCH', `${VMIS}/a?fieldManager=flux&force=true`, vmi('128Mi')).status, 422);
});
