import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOT_OVERRIDE_ANNOTATION } from '../resources/boot-override.ts';
import { powerState, resetStep, type VmView } from './power.ts';

const once = JSON.stringify({ target: 'Pxe', enabled: 'Once', mode: 'UEFI' });
const vm = (runStrategy: string, annotations: Record<string, string> = {}): VmView => ({ metadata: { uid: 'vm', annotations }, spec: { runStrategy } });
const vmi = (phase: string, annotations: Record<string, string> = {}, deleting = false): VmView => ({ metadata: { uid: 'vmi', annotations, ...(deleting ? { deletionTimestamp: 'now' } : {}) }, status: { phase } });

test('PowerState follows the VMI: Running On, deleting PoweringOff, ended or absent Off (or PoweringOn under Always)', () => {
  assert.equal(powerState(vm('Always'), vmi('Running')), 'On');
  assert.equal(powerState(vm('Always'), vmi('Scheduling')), 'PoweringOn');
  assert.equal(powerState(vm('Halted'), vmi('Running', {}, true)), 'PoweringOff');
  assert.equal(powerState(vm('Halted'), vmi('Succeeded')), 'Off');
  assert.equal(powerState(vm('Always'), undefined), 'PoweringOn');
  assert.equal(powerState(vm('Manual'), undefined), 'Off');
});

test('resets map onto the VM verbs and the guest actions', () => {
  const on = [vm('Always'), vmi('Running')] as const;
  assert.deepEqual(resetStep('ForceRestart', ...on), { kind: 'guest', action: 'reset' });
  assert.deepEqual(resetStep('GracefulRestart', ...on), { kind: 'guest', action: 'softReboot' });
  assert.deepEqual(resetStep('Nmi', ...on), { kind: 'guest', action: 'nmi' });
  assert.deepEqual(resetStep('ForceOff', ...on), { kind: 'vm', action: 'stop', graceSeconds: 0 });
  assert.deepEqual(resetStep('GracefulShutdown', ...on), { kind: 'vm', action: 'stop' });
  assert.deepEqual(resetStep('PushPowerButton', ...on), { kind: 'vm', action: 'stop' });
  assert.equal(resetStep('On', ...on).kind, 'none');
  const off = [vm('Halted'), undefined] as const;
  assert.deepEqual(resetStep('PushPowerButton', ...off), { kind: 'vm', action: 'start' });
  assert.deepEqual(resetStep('ForceRestart', ...off), { kind: 'vm', action: 'start' });
  assert.equal(resetStep('Nmi', ...off).kind, 'refuse');
  assert.equal(resetStep('ForceOff', ...off).kind, 'none');
});

test('a reset with an override the running VMI does not carry restarts the VM, so the new VMI boots it', () => {
  assert.deepEqual(resetStep('ForceRestart', vm('Always', { [BOOT_OVERRIDE_ANNOTATION]: once }), vmi('Running')), { kind: 'vm', action: 'restart', graceSeconds: 0 });
  assert.deepEqual(resetStep('GracefulRestart', vm('Always', { [BOOT_OVERRIDE_ANNOTATION]: once }), vmi('Running')), { kind: 'vm', action: 'restart' });
  const continuous = JSON.stringify({ target: 'Hdd', enabled: 'Continuous', mode: 'UEFI' });
  assert.deepEqual(resetStep('ForceRestart', vm('Always', { [BOOT_OVERRIDE_ANNOTATION]: continuous }), vmi('Running', { [BOOT_OVERRIDE_ANNOTATION]: continuous })), { kind: 'guest', action: 'reset' }, 'the VMI already boots it');
});
