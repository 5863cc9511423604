// The VirtualMachine reconciler as a pure function: (the VM, its VMI if any) → the VMI to create
// or delete, the status to write and the Events to record, the way KubeVirt's VM controller
// follows runStrategy and status.stateChangeRequests.
import type { NewObject } from '../store/types.ts';
import { formatTimestamp } from '../store/object-meta.ts';
import type { ControllerEvent, Reconciled } from './reconciler.ts';
import type { VmVolumeGate } from './volume-readiness.ts';
import { expandVmi, TYPES_RETRY_SECONDS, type VmTypes } from './vm-instancetype.ts';
import { BOOT_OVERRIDE_ANNOTATION, overrideActive, parseBootOverride } from '../resources/boot-override.ts';
import { formatInsertedMedia, parseInsertedMedia, VIRTUAL_MEDIA_ANNOTATION } from '../resources/virtual-media.ts';

/** KubeVirt's VM finalizer: deleting a VM first deletes its VMI (pxevirt has no garbage collector). */
export const VM_FINALIZER = 'kubevirt.io/virtualMachineControllerFinalize';

export type RunStrategy = 'Always' | 'Halted' | 'Manual' | 'RerunOnFailure' | 'Once';

export interface VmLike {
  apiVersion?: string;
  metadata: { name: string; namespace?: string; uid: string; generation?: number; deletionTimestamp?: string; finalizers?: string[]; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface VmiView {
  metadata: { name: string; uid: string; deletionTimestamp?: string; ownerReferences?: Array<Record<string, unknown>> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export type VmAction =
  | { type: 'addFinalizer' }
  | { type: 'removeFinalizer' }
  | { type: 'createVmi'; vmi: NewObject }
  | { type: 'deleteVmi'; uid: string; graceSeconds?: number }
  /** A one-time boot override went into the VMI just created: remove it from the VM. */
  | { type: 'clearBootOverride'; value: string }
  /** Reconcile again after this many seconds (crash-loop backoff). */
  | { type: 'requeueAfter'; seconds: number };

export type VmReconcileResult = Reconciled<Record<string, unknown>, VmAction>;

export interface StateChangeRequest {
  action: 'Start' | 'Stop';
  uid?: string;
  data?: Record<string, string>;
}

/** The backoff after the n-th consecutive failure: 10 s doubling, at most 5 minutes. */
export function crashLoopBackoffSeconds(failures: number): number {
  return Math.min(300, 10 * 2 ** Math.max(0, failures - 1));
}

/** The effective run strategy: spec.runStrategy, else `running` (true → Always, false → Halted). */
export function runStrategyOf(vm: VmLike): RunStrategy {
  const s = vm.spec?.runStrategy;
  if (typeof s === 'string' && s !== '') return s as RunStrategy;
  return vm.spec?.running === true ? 'Always' : 'Halted';
}

/** The VMI the VM's template describes: same name, owned by the VM, labels and annotations from the template. */
export function vmiFromTemplate(vm: VmLike): NewObject {
  const template = (vm.spec?.template ?? {}) as { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };
  const tm = template.metadata ?? {};
  const apiVersion = typeof vm.apiVersion === 'string' && vm.apiVersion.startsWith('kubevirt.io/') ? vm.apiVersion : 'kubevirt.io/v1';
  const metadata: NewObject['metadata'] = {
    name: vm.metadata.name,
    ...(vm.metadata.namespace ? { namespace: vm.metadata.namespace } : {}),
    ownerReferences: [{ apiVersion, kind: 'VirtualMachine', name: vm.metadata.name, uid: vm.metadata.uid, controller: true, blockOwnerDeletion: true }],
  };
  if (tm.labels && typeof tm.labels === 'object') metadata.labels = { ...(tm.labels as Record<string, string>) };
  if (tm.annotations && typeof tm.annotations === 'object') metadata.annotations = { ...(tm.annotations as Record<string, string>) };
  // The VM's boot override (a BMC's setting) goes to this VMI only; the template stays as written.
  const override = vm.metadata.annotations?.[BOOT_OVERRIDE_ANNOTATION];
  if (override !== undefined && overrideActive(parseBootOverride(override))) metadata.annotations = { ...metadata.annotations, [BOOT_OVERRIDE_ANNOTATION]: override };
  // Its inserted virtual media too, with the VM's uid: the VMI's CD-ROM opens that VM's file.
  const media = parseInsertedMedia(vm.metadata.annotations?.[VIRTUAL_MEDIA_ANNOTATION]);
  if (media) metadata.annotations = { ...metadata.annotations, [VIRTUAL_MEDIA_ANNOTATION]: formatInsertedMedia({ ...media, vmUid: vm.metadata.uid }) };
  else if (metadata.annotations?.[VIRTUAL_MEDIA_ANNOTATION] !== undefined) delete metadata.annotations[VIRTUAL_MEDIA_ANNOTATION];
  return { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata, spec: structuredClone(template.spec ?? {}) };
}

const isFinal = (vmi: VmiView | undefined): boolean => vmi?.status?.phase === 'Succeeded' || vmi?.status?.phase === 'Failed';

function ownedBy(vmi: VmiView, vm: VmLike): boolean {
  const refs = vmi.metadata.ownerReferences ?? [];
  return refs.length === 0 || refs.some((r) => r.uid === vm.metadata.uid);
}

/** Decides the next step for one VM, given the VMI of the same name (if any). */
export function reconcileVm(vm: VmLike, vmi: VmiView | undefined, ctx: { now: Date; dataVolumes?: VmVolumeGate; types?: VmTypes }): VmReconcileResult {
  const now = formatTimestamp(ctx.now);
  const old = (vm.status ?? {}) as Record<string, unknown>;
  const status: Record<string, unknown> = structuredClone(old);
  const actions: VmAction[] = [];
  const events: ControllerEvent[] = [];
  const strategy = runStrategyOf(vm);
  const hasFinalizer = (vm.metadata.finalizers ?? []).includes(VM_FINALIZER);
  const name = vm.metadata.name;

  if (vmi && !ownedBy(vmi, vm)) {
    events.push({ type: 'Warning', reason: 'FailedCreate', message: `a VirtualMachineInstance named ${name} exists and belongs to another owner` });
    status.printableStatus = 'Unknown';
    return done(old, status, actions, events);
  }

  const graceOf = (v: VmiView): number | undefined => {
    const g = v.spec?.terminationGracePeriodSeconds;
    return typeof g === 'number' ? g : undefined;
  };
  let current = vmi;
  let deleting = Boolean(current?.metadata.deletionTimestamp);
  const deleteVmi = (reason: string): void => {
    if (!current || deleting) return;
    const g = graceOf(current);
    actions.push({ type: 'deleteVmi', uid: current.metadata.uid, ...(g !== undefined ? { graceSeconds: g } : {}) });
    events.push({ type: 'Normal', reason: 'SuccessfulDelete', message: `Stopped the virtual machine by deleting the virtual machine instance ${current.metadata.uid}${reason}` });
    deleting = true;
  };
  let created = false;
  // dataVolumeTemplates: no VMI before every DataVolume succeeded (KubeVirt's Provisioning).
  const gate = ctx.dataVolumes;
  let provisioning = false;
  const createVmi = (): void => {
    if (current || created) return;
    if (gate && !gate.ready) {
      provisioning = true;
      return;
    }
    // The instancetype and preference are expanded into the VMI; one that cannot be used blocks the start.
    const built = expandVmi(vmiFromTemplate(vm), vm.spec, ctx.types);
    events.push(...built.events);
    if (!built.vmi) {
      provisioning = true;
      actions.push({ type: 'requeueAfter', seconds: TYPES_RETRY_SECONDS });
      return;
    }
    actions.push({ type: 'createVmi', vmi: built.vmi });
    const override = vm.metadata.annotations?.[BOOT_OVERRIDE_ANNOTATION];
    if (override !== undefined && parseBootOverride(override).enabled === 'Once') actions.push({ type: 'clearBootOverride', value: override });
    events.push({ type: 'Normal', reason: 'SuccessfulCreate', message: `Started the virtual machine by creating the new virtual machine instance ${name}` });
    created = true;
  };

  if (vm.metadata.deletionTimestamp) {
    deleteVmi('');
    if (!current && hasFinalizer) actions.push({ type: 'removeFinalizer' });
    status.printableStatus = 'Terminating';
    fillStatus(status, current, created, now);
    return done(old, status, actions, events);
  }
  if (!hasFinalizer) actions.push({ type: 'addFinalizer' });

  // Crash-loop bookkeeping: a Running VMI resets it; a Failed one (to be restarted) counts.
  const failure = (status.startFailure ?? undefined) as { consecutiveFailCount: number; lastFailedVMIUID?: string; retryAfterTimestamp?: string } | undefined;
  if (current?.status?.phase === 'Running' && failure) delete status.startFailure;

  // State change requests (start/stop/restart subresources) come first, in order.
  let requests = Array.isArray(status.stateChangeRequests) ? [...(status.stateChangeRequests as StateChangeRequest[])] : [];
  let stopPending = false;
  while (requests.length > 0) {
    const [first] = requests;
    if (first?.action === 'Stop') {
      if (current && (!first.uid || first.uid === current.metadata.uid)) {
        deleteVmi('');
        stopPending = true;
        break;
      }
      requests = requests.slice(1);
      continue;
    }
    if (first?.action === 'Start') {
      if (current && isFinal(current)) {
        deleteVmi('');
        stopPending = true;
        break;
      }
      if (!current) createVmi();
      // Kept until the DataVolumes are ready.
      if (provisioning) break;
      requests = requests.slice(1);
      continue;
    }
    requests = requests.slice(1);
  }
  if (requests.length > 0) status.stateChangeRequests = requests;
  else delete status.stateChangeRequests;

  let backoffUntil: number | undefined;
  if (!stopPending) {
    switch (strategy) {
      case 'Always':
      case 'RerunOnFailure': {
        const restartable = strategy === 'Always' ? isFinal(current) : current?.status?.phase === 'Failed';
        if (current && restartable) {
          if (current.status?.phase === 'Failed' && failure?.lastFailedVMIUID !== current.metadata.uid) {
            const count = (failure?.consecutiveFailCount ?? 0) + 1;
            const retry = new Date(ctx.now.getTime() + crashLoopBackoffSeconds(count) * 1000);
            status.startFailure = { consecutiveFailCount: count, lastFailedVMIUID: current.metadata.uid, retryAfterTimestamp: formatTimestamp(retry) };
          }
          deleteVmi('');
        } else if (!current) {
          const sf = status.startFailure as { retryAfterTimestamp?: string } | undefined;
          const retryAt = sf?.retryAfterTimestamp ? Date.parse(sf.retryAfterTimestamp) : NaN;
          if (Number.isFinite(retryAt) && retryAt > ctx.now.getTime()) {
            backoffUntil = retryAt;
            actions.push({ type: 'requeueAfter', seconds: Math.ceil((retryAt - ctx.now.getTime()) / 1000) });
          } else createVmi();
        }
        break;
      }
      case 'Halted':
        deleteVmi('');
        break;
      case 'Once':
        // One VMI; once it has ended it stays (deleting it by hand starts another).
        createVmi();
        break;
      case 'Manual':
        break;
    }
  }

  status.printableStatus = provisioning && gate?.printableStatus ? gate.printableStatus : printableStatus(strategy, current, deleting, created, backoffUntil !== undefined);
  fillStatus(status, current, created, now);
  status.runStrategy = strategy;
  return done(old, status, actions, events);
}

function printableStatus(strategy: RunStrategy, vmi: VmiView | undefined, deleting: boolean, created: boolean, backoff: boolean): string {
  if (backoff) return 'CrashLoopBackOff';
  if (!vmi) return created ? 'Starting' : 'Stopped';
  const phase = vmi.status?.phase;
  if (deleting) return phase === 'Running' ? 'Stopping' : strategy === 'Halted' ? 'Stopped' : 'Stopping';
  if (phase === 'Running') {
    const paused = ((vmi.status?.conditions ?? []) as Array<{ type: string; status: string }>).some((c) => c.type === 'Paused' && c.status === 'True');
    return paused ? 'Paused' : 'Running';
  }
  if (phase === 'Succeeded' || phase === 'Failed') return 'Stopped';
  return 'Starting';
}

function fillStatus(status: Record<string, unknown>, vmi: VmiView | undefined, created: boolean, now: string): void {
  const exists = vmi !== undefined;
  const vmiReady = ((vmi?.status?.conditions ?? []) as Array<{ type: string; status: string; reason?: string; message?: string }>).find((c) => c.type === 'Ready');
  const ready = exists && vmi.status?.phase === 'Running' && vmiReady?.status === 'True';
  if (exists) status.created = true;
  else delete status.created;
  if (ready) status.ready = true;
  else delete status.ready;
  const condition = ready
    ? { type: 'Ready', status: 'True' }
    : exists && vmiReady
      ? { type: 'Ready', status: 'False', ...(vmiReady.reason ? { reason: vmiReady.reason } : {}), ...(vmiReady.message ? { message: vmiReady.message } : {}) }
      : { type: 'Ready', status: 'False', reason: created ? 'VMINotExists' : 'VMINotExists', message: 'VMI does not exist' };
  const conditions = Array.isArray(status.conditions) ? [...(status.conditions as Array<Record<string, unknown>>)] : [];
  const at = conditions.findIndex((c) => c.type === 'Ready');
  const previous = at >= 0 ? conditions[at] : undefined;
  const same = previous && previous.status === condition.status && previous.reason === (condition as { reason?: string }).reason && previous.message === (condition as { message?: string }).message;
  if (same) return;
  const next = { ...condition, lastProbeTime: null, lastTransitionTime: previous && previous.status === condition.status ? previous.lastTransitionTime : now };
  if (at >= 0) conditions[at] = next;
  else conditions.push(next);
  status.conditions = conditions;
}

function done(old: Record<string, unknown>, status: Record<string, unknown>, actions: VmAction[], events: ControllerEvent[]): VmReconcileResult {
  return { status: JSON.stringify(old) === JSON.stringify(status) ? undefined : status, actions, events };
}
