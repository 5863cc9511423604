// The API's generic mutating admission hook (ApiHandlerOptions.mutate), driven as a function.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../resources/kinds.ts';
import { openTestStore } from '../store/test-fixture.ts';
import type { MutationRequest, Mutator } from './admission.ts';
import { createApiHandler } from './handler.ts';
import { apiRequest } from './handler-fixture.ts';
import type { ApiResponse } from './http-types.ts';

const VMIS = '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances';
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function setup(t: TestContext, mutate: Mutator) {
  const { store } = openTestStore(t);
  store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const handler = createApiHandler({ store, kinds: KINDS, token: 't', mutate });
  const call = (method: string, url: string, body?: unknown, contentType = 'application/json'): ApiResponse =>
    handler(apiRequest(method, url, { ...(body !== undefined ? { body } : {}), contentType, token: 't' }));
  return { store, call };
}

const vmi = (name: string, memory = '64Mi') => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name },
  spec: { domain: { devices: { interfaces: [{ name: 'default', masquerade: {} }] }, resources: { requests: { memory } } }, networks: [{ name: 'default', pod: {} }] },
});

const setMac = (o: Record<string, unknown>, mac: string): Record<string, unknown> => {
  const out = structuredClone(o) as Obj;
  for (const i of out.spec?.domain?.devices?.interfaces ?? []) i.macAddress ??= mac;
  return out;
};

test('what the mutator returns is validated and stored; it sees the defaulted object, the operation and dryRun', (t) => {
  const seen: Array<Pick<MutationRequest, 'operation' | 'dryRun'> & { kind: string; hasOld: boolean; defaulted: boolean }> = [];
  const { call } = setup(t, (r) => {
    seen.push({ kind: r.kind.kind, operation: r.operation, dryRun: r.dryRun, hasOld: r.old !== undefined, defaulted: (r.object as Obj).spec?.domain?.machine?.type !== undefined });
    return setMac(r.object, '02:00:00:00:00:07');
  });
  const created = call('POST', VMIS, vmi('a'));
  assert.equal(created.status, 201);
  assert.equal((created.body as Obj).spec.domain.devices.interfaces[0].macAddress, '02:00:00:00:00:07');
  assert.equal((call('GET', `${VMIS}/a`).body as Obj).spec.domain.devices.interfaces[0].macAddress, '02:00:00:00:00:07');
  assert.equal(call('POST', `${VMIS}?dryRun=All`, vmi('b')).status, 201);
  // A merge patch that touches only labels: the mutator keeps the spec as stored, so the VMI update is allowed.
  assert.equal(call('PATCH', `${VMIS}/a`, { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json').status, 200);
  assert.deepEqual(seen, [
    { kind: 'VirtualMachineInstance', operation: 'CREATE', dryRun: false, hasOld: false, defaulted: true },
    { kind: 'VirtualMachineInstance', operation: 'CREATE', dryRun: true, hasOld: false, defaulted: true },
    { kind: 'VirtualMachineInstance', operation: 'UPDATE', dryRun: false, hasOld: true, defaulted: true },
  ]);
});

test('a denial is a 422 from the named webhook with its causes, unless the object is invalid anyway', (t) => {
  const { call, store } = setup(t, () => ({ webhook: 'mutatevirtualmachineinstances.kubemacpool.io', causes: [{ type: 'FieldValueDuplicate', field: 'spec.domain.devices.interfaces[0].macAddress', message: 'failed to allocate requested mac address 02:00:00:00:00:07: already used' }] }));
  const denied = call('POST', VMIS, vmi('a'));
  assert.equal(denied.status, 422);
  const status = denied.body as Obj;
  assert.equal(status.reason, 'Invalid');
  assert.equal(status.message, 'admission webhook "mutatevirtualmachineinstances.kubemacpool.io" denied the request: spec.domain.devices.interfaces[0].macAddress: failed to allocate requested mac address 02:00:00:00:00:07: already used');
  assert.deepEqual(status.details.causes, [{ reason: 'FieldValueDuplicate', field: 'spec.domain.devices.interfaces[0].macAddress', message: 'failed to allocate requested mac address 02:00:00:00:00:07: already used' }]);
  const invalid = call('POST', VMIS, vmi('b', '1k'));
  assert.equal(invalid.status, 422);
  assert.match((invalid.body as Obj).message, /virtualmachineinstances-create-validator\.kubevirt\.io.*memory/);
  assert.equal(store.list({ group: 'kubevirt.io', resource: 'virtualmachineinstances' }).items.length, 0);
});
