// Power as a BMC sees it, pure: a VM's PowerState from the VM and its VMI, and what each
// ComputerSystem.Reset type means for a VM in that state — a run-strategy change (through the
// same start/stop/restart KubeVirt's subresources do) or a QMP action on the running guest.
import { BOOT_OVERRIDE_ANNOTATION, overrideActive, parseBootOverride } from '../resources/boot-override.ts';
import { parseInsertedMedia, VIRTUAL_MEDIA_ANNOTATION } from '../resources/virtual-media.ts';

export const RESET_TYPES = ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'Nmi', 'ForceOn', 'PushPowerButton'] as const;
export type ResetType = (typeof RESET_TYPES)[number];

export type PowerState = 'On' | 'Off' | 'PoweringOn' | 'PoweringOff';

interface Meta {
  uid: string;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}
export interface VmView {
  metadata: Meta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** One step carrying out a reset: the VM subresource to call, or the guest action. */
export type PowerStep =
  | { kind: 'none'; why: string }
  | { kind: 'vm'; action: 'start' | 'stop' | 'restart'; graceSeconds?: number }
  | { kind: 'guest'; action: 'reset' | 'nmi' | 'softReboot' }
  | { kind: 'refuse'; why: string };

const phaseOf = (vmi: VmView | undefined): unknown => vmi?.status?.phase;

/** The VMI counts as the VM's machine: it exists, is not being deleted, and has not ended. */
export function isPoweredVmi(vmi: VmView | undefined): vmi is VmView {
  const phase = phaseOf(vmi);
  return vmi !== undefined && !vmi.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** PowerState from the VM and its VMI (if any). */
export function powerState(vm: VmView, vmi: VmView | undefined): PowerState {
  if (vmi?.metadata.deletionTimestamp) return 'PoweringOff';
  if (isPoweredVmi(vmi)) return phaseOf(vmi) === 'Running' ? 'On' : 'PoweringOn';
  const requests = vm.status?.stateChangeRequests;
  const strategy = vm.spec?.runStrategy ?? (vm.spec?.running === true ? 'Always' : 'Halted');
  if ((Array.isArray(requests) && requests.some((r) => (r as { action?: unknown }).action === 'Start')) || strategy === 'Always') return 'PoweringOn';
  return 'Off';
}

/**
 * Whether the VM's boot override or virtual media is not in its running VMI yet: a reset must
 * then start a new VMI (a restart), since QEMU's devices and boot order come from the VMI's plan.
 */
export function overridePending(vm: VmView, vmi: VmView | undefined): boolean {
  const media = (o: VmView | undefined) => parseInsertedMedia(o?.metadata.annotations?.[VIRTUAL_MEDIA_ANNOTATION])?.image;
  if (vmi !== undefined && media(vm) !== media(vmi)) return true;
  const value = vm.metadata.annotations?.[BOOT_OVERRIDE_ANNOTATION];
  if (value === undefined || !overrideActive(parseBootOverride(value))) return false;
  return vmi?.metadata.annotations?.[BOOT_OVERRIDE_ANNOTATION] !== value;
}

/** What a reset type does to a VM in this state. */
export function resetStep(type: ResetType, vm: VmView, vmi: VmView | undefined): PowerStep {
  const state = powerState(vm, vmi);
  const on = state === 'On' || state === 'PoweringOn';
  const pending = overridePending(vm, vmi);
  switch (type) {
    case 'On':
    case 'ForceOn':
      return on ? { kind: 'none', why: `the system is already ${state}` } : { kind: 'vm', action: 'start' };
    case 'ForceOff':
      return state === 'Off' ? { kind: 'none', why: 'the system is already Off' } : { kind: 'vm', action: 'stop', graceSeconds: 0 };
    case 'GracefulShutdown':
      return state === 'Off' ? { kind: 'none', why: 'the system is already Off' } : { kind: 'vm', action: 'stop' };
    case 'PushPowerButton':
      return on ? { kind: 'vm', action: 'stop' } : { kind: 'vm', action: 'start' };
    case 'ForceRestart':
      if (!on) return { kind: 'vm', action: 'start' };
      if (state !== 'On' || pending) return { kind: 'vm', action: 'restart', graceSeconds: 0 };
      return { kind: 'guest', action: 'reset' };
    case 'GracefulRestart':
      if (!on) return { kind: 'vm', action: 'start' };
      if (state !== 'On' || pending) return { kind: 'vm', action: 'restart' };
      return { kind: 'guest', action: 'softReboot' };
    case 'Nmi':
      return state === 'On' ? { kind: 'guest', action: 'nmi' } : { kind: 'refuse', why: `an NMI needs a running system; it is ${state}` };
  }
}
