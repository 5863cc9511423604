import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredObject } from '../store/types.ts';
import { ApiError } from './errors.ts';
import { GuestRefusedError, type GuestAccess } from './guest-access.ts';
import type { ApiRequest, ApiResponse } from './http-types.ts';
import { checkVmiAction, vmiAction } from './vmi-actions.ts';

const vmi = (phase: string, conditions: Array<{ type: string; status: string }> = [], spec: Record<string, unknown> = {}): StoredObject =>
  ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'v1', namespace: 'default', uid: 'u1', resourceVersion: '1' }, spec, status: { phase, conditions } }) as unknown as StoredObject;
const paused = [{ type: 'Paused', status: 'True' }];
const put = (body?: string): ApiRequest => ({ method: 'PUT', path: '/x', query: new URLSearchParams(), headers: { 'content-type': 'application/json' }, ...(body ? { body: Buffer.from(body) } : {}) }) as unknown as ApiRequest;

async function settle(r: ApiResponse): Promise<ApiResponse> {
  const b = r.body as { deferred?: Promise<ApiResponse> };
  return b && typeof b === 'object' && 'deferred' in b && b.deferred ? b.deferred : r;
}

test('virt-api\'s checks and words before a pause, unpause or soft reboot', () => {
  assert.equal(checkVmiAction(vmi('Running'), 'pause'), undefined);
  assert.equal(checkVmiAction(vmi('Scheduled'), 'pause'), 'VM is not running');
  assert.equal(checkVmiAction(vmi('Running', paused), 'pause'), 'VMI is already paused');
  assert.equal(checkVmiAction(vmi('Running', [], { livenessProbe: { httpGet: { port: 80 } } }), 'pause'), 'Pausing VMIs with a non-GuestAgentPing LivenessProbe is not supported');
  assert.equal(checkVmiAction(vmi('Running'), 'unpause'), 'VMI is not paused');
  assert.equal(checkVmiAction(vmi('Succeeded', paused), 'unpause'), 'VMI is not running');
  assert.equal(checkVmiAction(vmi('Running', paused), 'unpause'), undefined);
  assert.equal(checkVmiAction(vmi('Running', paused), 'softreboot'), 'VMI is paused');
  assert.equal(checkVmiAction(vmi('Running', [], { domain: { features: { acpi: { enabled: false } } } }), 'softreboot'), 'VMI neither have the agent connected nor the ACPI feature enabled');
  assert.equal(checkVmiAction(vmi('Running'), 'softreboot'), undefined);
});

test('a refusal is a 409 naming the VMI, nothing reaches the node; a node refusal is a 409 too; dry run asks nothing', async () => {
  const calls: string[] = [];
  const guests = (refuse?: string): GuestAccess => ({
    sockets: () => ({ serialSocket: '', vncSocket: '', serialLog: '' }),
    screenshot: () => Promise.reject(new Error('none')),
    act: async (uid, action) => {
      calls.push(`${action} ${uid}`);
      if (refuse) throw new GuestRefusedError(refuse);
    },
  });
  assert.throws(() => vmiAction(put(), vmi('Running', paused), 'pause', guests()), (e: unknown) => e instanceof ApiError && e.code === 409 && e.message === 'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "v1": VMI is already paused');
  assert.deepEqual(calls, []);
  assert.equal((await settle(vmiAction(put(), vmi('Running'), 'pause', guests()))).status, 200);
  assert.deepEqual(calls, ['pause u1']);
  await assert.rejects(settle(vmiAction(put(), vmi('Running'), 'pause', guests('VMI is already paused'))), (e: unknown) => e instanceof ApiError && e.code === 409 && /VMI is already paused$/.test(e.message));
  assert.equal((await settle(vmiAction(put('{"dryRun":["All"]}'), vmi('Running'), 'softreboot', guests()))).status, 200);
  assert.deepEqual(calls, ['pause u1', 'pause u1'], 'a dry run reaches no guest');
  assert.throws(() => vmiAction(put(), vmi('Running'), 'pause', undefined), (e: unknown) => e instanceof ApiError && e.code === 503);
});
