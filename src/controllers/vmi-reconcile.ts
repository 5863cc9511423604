// The VMI reconciler as a pure function: (the stored VMI, what the runtime observes, what this
// controller has in flight) → the status to write, the actions to take and the Events to record.
// Phases as KubeVirt's: Pending → Scheduling → Scheduled → Running → Succeeded | Failed.
import type { ControllerEvent, Reconciled } from './reconciler.ts';
import type { GuestObservation } from '../runtime/types.ts';
import { formatTimestamp } from '../store/object-meta.ts';

/**
 * Put on every VMI when first seen, so a delete waits until the guest is stopped and its pod
 * cleaned up. The name is KubeVirt's own VMI finalizer (virt-controller adds it, and removes
 * it once the guest is gone), so tools that know KubeVirt's finalizers recognise it; VMs get
 * KubeVirt's VM finalizer, `kubevirt.io/virtualMachineControllerFinalize` (vm-reconcile.ts).
 */
export const VMI_FINALIZER = 'kubevirt.io/foregroundDeleteVirtualMachine';

/** The grace period when neither the delete nor the spec names one (KubeVirt's default). */
export const DEFAULT_GRACE_SECONDS = 30;

export type VmiPhase = 'Pending' | 'Scheduling' | 'Scheduled' | 'Running' | 'Succeeded' | 'Failed';

/** KubeVirt's virt-handler event messages (pkg/virt-handler/vm.go). */
export const VmiEventMessage = {
  defined: 'VirtualMachineInstance defined.',
  started: 'VirtualMachineInstance started.',
  shutdown: 'The VirtualMachineInstance was shut down.',
  crashed: 'The VirtualMachineInstance crashed.',
  gracefulShutdown: 'Signaled Graceful Shutdown',
  signalDeletion: 'Signaled Deletion',
} as const;

export const SOFTWARE_EMULATION_MESSAGE = 'KVM not available, using software emulation (TCG)';

export interface VmiLike {
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    finalizers?: string[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

export type VmiAction =
  | { type: 'addFinalizer' }
  | { type: 'start' }
  | { type: 'stop'; graceSeconds: number }
  | { type: 'cleanup' }
  | { type: 'removeFinalizer' };

export type { ControllerEvent } from './reconciler.ts';

/** What this node's controller has under way for the VMI (not in the store). */
export interface VmiLocalState {
  /** runtime.start() is in flight. */
  starting?: boolean;
  /** runtime.start() failed with this message (the VMI ends Failed). */
  startError?: string;
  /** runtime.stop() is in flight or done. */
  stopping?: boolean;
  /**
   * The start waits for the VMI's claims or configMap/secret objects: the Ready condition says
   * why (reason WaitingForVolumes or FailedMount) until it starts; the loop asks again.
   */
  waitingFor?: { reason: 'WaitingForVolumes' | 'FailedMount'; message: string };
}

export interface VmiReconcileContext {
  now: Date;
  /** This node's name (os.hostname() unless --node-name). */
  nodeName: string;
  local?: VmiLocalState;
}

/** The whole new `.status` (undefined when unchanged), the actions and the events. */
export type VmiReconcileResult = Reconciled<Record<string, unknown>, VmiAction>;

type Condition = { type: string; status: 'True' | 'False'; reason?: string; message?: string; lastProbeTime: null; lastTransitionTime: string };

/** The grace period a deletion gets: the delete's own, else the spec's, else 30 s. */
export function graceSecondsOf(vmi: VmiLike): number {
  const fromDelete = vmi.metadata.deletionGracePeriodSeconds;
  if (typeof fromDelete === 'number' && fromDelete >= 0) return fromDelete;
  const fromSpec = vmi.spec?.terminationGracePeriodSeconds;
  if (typeof fromSpec === 'number' && fromSpec >= 0) return fromSpec;
  return DEFAULT_GRACE_SECONDS;
}

const isFinal = (phase: unknown): boolean => phase === 'Succeeded' || phase === 'Failed';

/** Decides the next step for one VMI. */
export function reconcileVmi(vmi: VmiLike, observation: GuestObservation | undefined, ctx: VmiReconcileContext): VmiReconcileResult {
  const now = formatTimestamp(ctx.now);
  const local = ctx.local ?? {};
  const old = (vmi.status ?? {}) as Record<string, unknown>;
  const status: Record<string, unknown> = structuredClone(old);
  const actions: VmiAction[] = [];
  const events: ControllerEvent[] = [];
  const hasFinalizer = (vmi.metadata.finalizers ?? []).includes(VMI_FINALIZER);
  const phase = typeof old.phase === 'string' && old.phase !== '' ? (old.phase as VmiPhase) : undefined;
  const alive = observation !== undefined && observation.state !== 'exited';

  const setPhase = (next: VmiPhase): void => {
    if (status.phase === next) return;
    status.phase = next;
    const list = Array.isArray(status.phaseTransitionTimestamps) ? [...(status.phaseTransitionTimestamps as unknown[])] : [];
    list.push({ phase: next, phaseTransitionTimestamp: now });
    status.phaseTransitionTimestamps = list;
  };
  const setCondition = (c: Omit<Condition, 'lastProbeTime' | 'lastTransitionTime'>): void => {
    const list = Array.isArray(status.conditions) ? [...(status.conditions as Condition[])] : [];
    const previous = (Array.isArray(old.conditions) ? (old.conditions as Condition[]) : []).find((x) => x.type === c.type);
    const since = previous && previous.status === c.status ? previous.lastTransitionTime : now;
    const next: Condition = { type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}), lastProbeTime: null, lastTransitionTime: since };
    const at = list.findIndex((x) => x.type === c.type);
    if (at >= 0) list[at] = next;
    else list.push(next);
    status.conditions = list;
  };
  const dropCondition = (type: string): void => {
    if (!Array.isArray(status.conditions)) return;
    const list = (status.conditions as Condition[]).filter((x) => x.type !== type);
    if (list.length > 0) status.conditions = list;
    else delete status.conditions;
  };
  const notReady = (reason: string, message?: string): void => setCondition({ type: 'Ready', status: 'False', reason, ...(message ? { message } : {}) });
  const observeGuest = (obs: GuestObservation): void => {
    if (obs.softwareEmulation) setCondition({ type: 'SoftwareEmulation', status: 'True', reason: 'KVMUnavailable', message: SOFTWARE_EMULATION_MESSAGE });
    else dropCondition('SoftwareEmulation');
    status.interfaces = obs.interfaces.map((i) => ({
      name: i.name,
      mac: i.mac,
      ...(i.interfaceName ? { interfaceName: i.interfaceName } : {}),
      ...(i.ipAddress ? { ipAddress: i.ipAddress, ipAddresses: i.ipAddresses ?? [i.ipAddress] } : {}),
      ...(i.podInterfaceName ? { podInterfaceName: i.podInterfaceName } : {}),
      infoSource: i.infoSource ?? 'domain',
    }));
  };
  const finish = (obs: GuestObservation): void => {
    const exit = obs.exit ?? { kind: 'crashed' as const, reason: 'QEMU exited' };
    if (exit.kind === 'shutdown') {
      setPhase('Succeeded');
      notReady('GuestNotRunning', 'the guest powered off');
      events.push({ type: 'Normal', reason: 'Stopped', message: VmiEventMessage.shutdown });
    } else {
      setPhase('Failed');
      status.reason = exit.kind === 'killed' ? 'Killed' : 'Crashed';
      notReady('GuestNotRunning', exit.reason);
      events.push({ type: 'Warning', reason: 'Stopped', message: `${VmiEventMessage.crashed} ${exit.reason}` });
    }
  };

  if (vmi.metadata.deletionTimestamp) {
    if (alive) {
      notReady('PodTerminating', 'the VMI is being deleted');
      if (!local.stopping) {
        const graceSeconds = graceSecondsOf(vmi);
        actions.push({ type: 'stop', graceSeconds });
        events.push(graceSeconds > 0
          ? { type: 'Normal', reason: 'ShuttingDown', message: VmiEventMessage.gracefulShutdown }
          : { type: 'Normal', reason: 'Deleted', message: VmiEventMessage.signalDeletion });
      }
    } else if (!local.starting) {
      // The guest is gone (or never started): record how it ended, clean the pod, let the delete finish.
      if (!isFinal(phase) && phase !== undefined) {
        if (observation?.exit && observation.exit.kind !== 'shutdown' && !local.stopping) finish(observation);
        else setPhase('Succeeded');
      }
      if (!isFinal(status.phase)) notReady('PodTerminating', 'the VMI is being deleted');
      if (hasFinalizer) actions.push({ type: 'cleanup' }, { type: 'removeFinalizer' });
    }
    return done(old, status, actions, events);
  }

  if (isFinal(phase)) {
    // A finished VMI stays finished; keep its last observation's facts.
    return done(old, status, actions, events);
  }

  if (!hasFinalizer) actions.push({ type: 'addFinalizer' });

  const stamped = Array.isArray(old.phaseTransitionTimestamps) && old.phaseTransitionTimestamps.length > 0;
  if (phase === undefined || (phase === 'Pending' && !stamped)) {
    // First sight (the API's mutator already wrote phase Pending): record the Pending transition.
    if (phase === 'Pending') status.phaseTransitionTimestamps = [{ phase: 'Pending', phaseTransitionTimestamp: now }];
    setPhase('Pending');
    notReady('GuestNotRunning', 'Guest VM is not reported as running');
    return done(old, status, actions, events);
  }

  if (local.startError !== undefined && !alive) {
    setPhase('Failed');
    status.reason = 'FailedCreate';
    notReady('GuestNotRunning', local.startError);
    events.push({ type: 'Warning', reason: 'SyncFailed', message: local.startError });
    return done(old, status, actions, events);
  }

  if (observation === undefined) {
    if (phase === 'Running') {
      // Running before, and the runtime knows nothing of it now: the guest is gone.
      setPhase('Failed');
      status.reason = 'Lost';
      notReady('GuestNotRunning', 'the guest is no longer running on this node');
      events.push({ type: 'Warning', reason: 'Stopped', message: `${VmiEventMessage.crashed} the guest is no longer running on this node` });
      return done(old, status, actions, events);
    }
    if (phase === 'Pending') {
      status.nodeName = ctx.nodeName;
      setPhase('Scheduling');
      events.push({ type: 'Normal', reason: 'SuccessfulCreate', message: `Created virtual machine pod for ${vmi.metadata.name} on node ${ctx.nodeName}` });
    }
    if (local.waitingFor) notReady(local.waitingFor.reason, local.waitingFor.message);
    else if (phase === 'Scheduling') notReady('GuestNotRunning', 'Guest VM is not reported as running');
    if (!local.starting) actions.push({ type: 'start' });
    return done(old, status, actions, events);
  }

  status.nodeName = ctx.nodeName;
  if (observation.state === 'exited') {
    if (phase === 'Pending') setPhase('Scheduling');
    finish(observation);
    observeGuest(observation);
    return done(old, status, actions, events);
  }
  if (phase === 'Pending') setPhase('Scheduling');
  observeGuest(observation);
  if (observation.state === 'starting') {
    if (status.phase !== 'Scheduled') events.push({ type: 'Normal', reason: 'Created', message: VmiEventMessage.defined });
    setPhase('Scheduled');
    notReady('GuestNotRunning', 'Guest VM is not reported as running');
    return done(old, status, actions, events);
  }
  if (status.phase !== 'Scheduled' && status.phase !== 'Running') {
    events.push({ type: 'Normal', reason: 'Created', message: VmiEventMessage.defined });
    setPhase('Scheduled');
  }
  if (status.phase !== 'Running') events.push({ type: 'Normal', reason: 'Started', message: VmiEventMessage.started });
  setPhase('Running');
  if (observation.paused) {
    // KubeVirt: virt-handler sets Paused; the pod's readiness gate follows, and with it Ready.
    setCondition({ type: 'Paused', status: 'True', reason: 'PausedByUser', message: 'VMI was paused by user' });
    setCondition({ type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: PAUSED_READY_MESSAGE });
  } else {
    dropCondition('Paused');
    setCondition({ type: 'Ready', status: 'True' });
  }
  return done(old, status, actions, events);
}

/** The kubelet's words for a pod whose readiness gate `kubevirt.io/virtual-machine-unpaused` is False. */
export const PAUSED_READY_MESSAGE = 'the status of pod readiness gate "kubevirt.io/virtual-machine-unpaused" is not "True", but False';

function done(old: Record<string, unknown>, status: Record<string, unknown>, actions: VmiAction[], events: ControllerEvent[]): VmiReconcileResult {
  const changed = JSON.stringify(old) !== JSON.stringify(status);
  return { status: changed ? status : undefined, actions, events };
}
