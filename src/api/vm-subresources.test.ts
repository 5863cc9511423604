// start / stop / restart on VMs, discovery of subresources.kubevirt.io, the grace period of
// VMI deletes, and GET /metrics — driven through the handler without sockets.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../resources/kinds.ts';
import { openTestStore } from '../store/test-fixture.ts';
import type { StoredObject } from '../store/types.ts';
import { createApiHandler } from './handler.ts';
import { isStream, type ApiResponse } from './http-types.ts';

const TOKEN = 'sekret';
const VM = { group: 'kubevirt.io', resource: 'virtualmachines' };
const VMI = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };
const SUB = '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachines';

function setup(t: TestContext) {
  const { store } = openTestStore(t);
  store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const handler = createApiHandler({ store, kinds: KINDS, token: TOKEN, metrics: async () => ({ contentType: 'text/plain', text: 'pxevirt_qemu_processes 2\n' }) });
  const call = (method: string, path: string, body?: unknown, token = TOKEN): ApiResponse =>
    handler({
      method,
      path,
      query: new URLSearchParams(),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: Buffer.from(JSON.stringify(body)) } : {}),
      signal: new AbortController().signal,
    });
  const vm = (name: string, spec: Record<string, unknown>): StoredObject =>
    store.create(VM, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name, namespace: 'default' }, spec: { ...spec, template: { spec: { domain: { devices: {} } } } } });
  const vmi = (name: string, phase = 'Running'): StoredObject =>
    store.create(VMI, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: 'default' }, spec: { domain: { devices: {} } }, status: { phase } });
  const get = (name: string) => store.get(VM, 'default', name);
  return { store, call, vm, vmi, get };
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const body = (r: ApiResponse): Obj => r.body as Obj;

test('start on a Halted VM sets runStrategy Always (running: true for running-style VMs)', (t) => {
  const { call, vm, get } = setup(t);
  vm('a', { runStrategy: 'Halted' });
  vm('b', { running: false });
  assert.equal(call('PUT', `${SUB}/a/start`, {}).status, 202);
  assert.equal(get('a').spec?.['runStrategy' as never], 'Always');
  assert.equal(call('PUT', `${SUB}/b/start`).status, 202);
  assert.equal((get('b').spec as Obj).running, true);
});

test('stop sets Halted; stop on a stopped VM is a conflict', (t) => {
  const { call, vm, vmi, get } = setup(t);
  vm('a', { runStrategy: 'Always' });
  vmi('a');
  assert.equal(call('PUT', `${SUB}/a/stop`, {}).status, 202);
  assert.equal((get('a').spec as Obj).runStrategy, 'Halted');
  vm('c', { runStrategy: 'Halted' });
  const r = call('PUT', `${SUB}/c/stop`, {});
  assert.equal(r.status, 409);
  assert.equal(body(r).message, 'VM is not running');
});

test('stop with a grace period passes it on to the VMI', (t) => {
  const { call, vm, vmi, store } = setup(t);
  vm('a', { runStrategy: 'Always' });
  vmi('a');
  assert.equal(call('PUT', `${SUB}/a/stop`, { gracePeriod: 0 }).status, 202);
  assert.equal((store.get(VMI, 'default', 'a').spec as Obj).terminationGracePeriodSeconds, 0);
});

test('Manual VMs get start and stop requests in status.stateChangeRequests', (t) => {
  const { call, vm, vmi, get, store } = setup(t);
  vm('m', { runStrategy: 'Manual' });
  assert.equal(call('PUT', `${SUB}/m/start`).status, 202);
  assert.deepEqual((get('m').status as Obj).stateChangeRequests, [{ action: 'Start' }]);
  assert.equal(call('PUT', `${SUB}/m/start`).status, 409, 'a request already under way');
  const current = get('m');
  store.update(VM, { ...current, status: {} }, { subresource: 'status' });
  const running = vmi('m');
  assert.equal(call('PUT', `${SUB}/m/stop`).status, 202);
  assert.deepEqual((get('m').status as Obj).stateChangeRequests, [{ action: 'Stop', uid: running.metadata.uid }]);
});

test('restart asks to stop the current VMI and start a new one', (t) => {
  const { call, vm, vmi, get } = setup(t);
  vm('r', { runStrategy: 'Always' });
  const running = vmi('r');
  assert.equal(call('PUT', `${SUB}/r/restart`, {}).status, 202);
  assert.deepEqual((get('r').status as Obj).stateChangeRequests, [{ action: 'Stop', uid: running.metadata.uid }, { action: 'Start' }]);
  vm('h', { runStrategy: 'Halted' });
  assert.equal(body(call('PUT', `${SUB}/h/restart`, {})).message, 'Halted does not support manual restart requests');
  vm('n', { runStrategy: 'Manual' });
  assert.equal(body(call('PUT', `${SUB}/n/restart`, {})).message, 'VM is not running');
});

test('start on an Always VM is refused', (t) => {
  const { call, vm } = setup(t);
  vm('a', { runStrategy: 'Always' });
  const r = call('PUT', `${SUB}/a/start`);
  assert.equal(r.status, 409);
  assert.equal(body(r).message, 'Always does not support manual start requests');
});

test('a missing VM is 404, and so are unknown actions; v1alpha3 is served too', (t) => {
  const { call, vm, get } = setup(t);
  const r = call('PUT', `${SUB}/nope/start`);
  assert.equal(r.status, 404);
  assert.equal(body(r).reason, 'NotFound');
  assert.equal(body(r).message, 'virtualmachines.kubevirt.io "nope" not found');
  vm('a', { runStrategy: 'Halted' });
  assert.equal(call('PUT', `${SUB}/a/frobnicate`).status, 404);
  assert.equal(call('GET', `${SUB}/a/start`).status, 405);
  assert.equal(call('PUT', '/apis/subresources.kubevirt.io/v1alpha3/namespaces/default/virtualmachines/a/start').status, 202);
  assert.equal((get('a').spec as Obj).runStrategy, 'Always');
  assert.equal(call('PUT', `${SUB}/a/start`, undefined, 'wrong').status, 401);
});

test('discovery lists subresources.kubevirt.io with virtualmachines/start, stop and restart and the VMI subresources', (t) => {
  const { call } = setup(t);
  const groups = (body(call('GET', '/apis')).groups as Obj[]).map((g) => g.name);
  assert.ok(groups.includes('subresources.kubevirt.io'));
  const list = body(call('GET', '/apis/subresources.kubevirt.io/v1'));
  assert.deepEqual(
    (list.resources as Obj[]).map((r) => r.name),
    [
      'virtualmachines/start',
      'virtualmachines/stop',
      'virtualmachines/restart',
      'virtualmachineinstances/console',
      'virtualmachineinstances/vnc',
      'virtualmachineinstances/vnc/screenshot',
      'virtualmachineinstances/log',
      'virtualmachineinstances/guestosinfo',
      'virtualmachineinstances/portforward',
      'virtualmachineinstances/pause',
      'virtualmachineinstances/unpause',
      'virtualmachineinstances/softreboot',
    ],
  );
  assert.equal(body(call('GET', '/apis/subresources.kubevirt.io')).preferredVersion.version, 'v1');
});

test('deleting a VMI records the grace period: the request\'s, else the spec\'s, else 30', (t) => {
  const { call, store } = setup(t);
  for (const [name, spec] of [['a', {}], ['b', { terminationGracePeriodSeconds: 5 }], ['c', { terminationGracePeriodSeconds: 5 }]] as const) {
    store.create(VMI, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: 'default', finalizers: ['x'] }, spec: { domain: { devices: {} }, ...spec } });
  }
  call('DELETE', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/a');
  call('DELETE', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/b');
  call('DELETE', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/c', { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
  assert.equal(store.get(VMI, 'default', 'a').metadata.deletionGracePeriodSeconds, 30);
  assert.equal(store.get(VMI, 'default', 'b').metadata.deletionGracePeriodSeconds, 5);
  assert.equal(store.get(VMI, 'default', 'c').metadata.deletionGracePeriodSeconds, 0);
  // A later delete may shorten the grace period, never lengthen it.
  call('DELETE', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/b', { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 1 });
  call('DELETE', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/c', { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 9 });
  assert.equal(store.get(VMI, 'default', 'b').metadata.deletionGracePeriodSeconds, 1);
  assert.equal(store.get(VMI, 'default', 'c').metadata.deletionGracePeriodSeconds, 0);
});

test('GET /metrics serves the Prometheus text and requires the token', async (t) => {
  const { call } = setup(t);
  assert.equal(call('GET', '/metrics', undefined, 'wrong').status, 401);
  const r = call('GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/plain/);
  assert.ok(isStream(r.body));
  const text = await new Promise<string>((done) => {
    let out = '';
    (r.body as { stream: (w: (c: string) => void, e: () => void, s: AbortSignal) => void }).stream((c) => (out += c), () => done(out), new AbortController().signal);
  });
  assert.equal(text, 'pxevirt_qemu_processes 2\n');
});
