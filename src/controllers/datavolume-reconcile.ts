// The DataVolume reconciler, pure, after CDI's datavolume controller: (the DataVolume's plan and
// status, its PersistentVolumeClaim, the transfer running here, a clone's source) → the status
// CDI would show (phase, progress, restartCount, claimName, conditions Bound/Ready/Running),
// its Events, and the actions: create the claim, start the transfer. A finished transfer is
// recorded on the claim (CDI's `cdi.kubevirt.io/storage.pod.phase: Succeeded`), so a restarted
// daemon knows; one that was cut off by a restart is started again and counted in restartCount.
// Failed is final (pxevirt does not retry): delete and re-create the DataVolume.
import type { Validated } from '../resources/causes.ts';
import { sourceText, type DataVolumePlan } from '../resources/datavolume-spec.ts';
import { formatTimestamp } from '../store/object-meta.ts';
import type { ControllerEvent, Reconciled } from './reconciler.ts';

/** CDI's PVC annotation for the importer's phase; pxevirt writes Succeeded when a transfer ends well. */
export const POD_PHASE_ANNOTATION = 'cdi.kubevirt.io/storage.pod.phase';

export interface DvDesired {
  name: string;
  namespace: string;
  plan: Validated<DataVolumePlan>;
  status: Record<string, unknown>;
}

export interface DvObserved {
  /** The claim of the DataVolume's name, if any. */
  pvc?: { ownedByDv: boolean; phase?: string; populated: boolean };
  /** The transfer this daemon runs for the DataVolume: running (with progress) or ended with an error. */
  transfer?: { progress?: number; error?: string };
  /** A clone's source claim: missing, or whether it is Bound and its data complete; its size. */
  cloneSource?: { ready: boolean; size?: string } | 'missing';
}

export type DvAction =
  /** Create the claim with this spec (owned by the DataVolume). */
  | { type: 'createPvc'; spec: Record<string, unknown> }
  | { type: 'startTransfer' };

export type DvResult = Reconciled<Record<string, unknown>, DvAction>;

interface Condition {
  type: 'Bound' | 'Ready' | 'Running';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastHeartbeatTime?: string;
}

/** CDI's updateCondition: times change when the status (or reason/message) does. */
function setCondition(conditions: Condition[], next: Omit<Condition, 'lastTransitionTime' | 'lastHeartbeatTime'>, now: string): void {
  const at = conditions.findIndex((c) => c.type === next.type);
  const previous = at >= 0 ? conditions[at] : undefined;
  const clean = { type: next.type, status: next.status, ...(next.reason ? { reason: next.reason } : {}), ...(next.message ? { message: next.message } : {}) };
  if (previous && previous.status === next.status && previous.reason === clean.reason && previous.message === clean.message) return;
  const lastTransitionTime = previous && previous.status === next.status ? previous.lastTransitionTime ?? now : now;
  const updated: Condition = { ...clean, lastTransitionTime, lastHeartbeatTime: now };
  if (at >= 0) conditions[at] = updated;
  else conditions.push(updated);
}

/** CDI's progress text: two decimals and a percent sign. */
export const progressText = (percent: number): string => `${Math.max(0, Math.min(100, percent)).toFixed(2)}%`;

/** Decides the next step for one DataVolume. */
export function reconcileDataVolume(desired: DvDesired, observed: DvObserved, now: Date): DvResult {
  const at = formatTimestamp(now);
  const old = desired.status;
  const status: Record<string, unknown> = structuredClone(old);
  const conditions: Condition[] = Array.isArray(status.conditions) ? (status.conditions as Condition[]) : [];
  const actions: DvAction[] = [];
  const events: ControllerEvent[] = [];
  const { name, namespace } = desired;
  status.claimName = name;
  if (status.progress === undefined) status.progress = 'N/A';
  if (status.restartCount === undefined) status.restartCount = 0;
  const phaseTo = (phase: string, event?: ControllerEvent): void => {
    if (status.phase !== phase && event) events.push(event);
    status.phase = phase;
  };
  const finish = (): DvResult => {
    status.conditions = conditions;
    return { status: JSON.stringify(old) === JSON.stringify(status) ? undefined : status, actions, events };
  };

  const plan = desired.plan.value;
  if (!plan) {
    const message = desired.plan.causes.map((c) => `${c.field}: ${c.message}`).join('; ');
    phaseTo('Failed', { type: 'Warning', reason: 'Error', message });
    setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Error', message }, at);
    return finish();
  }
  const clone = plan.source.type === 'pvc';
  const words = clone
    ? { scheduled: 'CloneScheduled', progress: 'CloneInProgress', succeeded: 'CloneSucceeded', failed: 'CloneFailed' }
    : { scheduled: 'ImportScheduled', progress: 'ImportInProgress', succeeded: 'ImportSucceeded', failed: 'ImportFailed' };
  const from = sourceText(plan.source);
  const messages = clone
    ? { scheduled: `Cloning from ${from} into ${namespace}/${name} scheduled`, progress: `Cloning from ${from} into ${namespace}/${name} in progress`, succeeded: `Successfully cloned from ${from} into ${namespace}/${name}`, failed: `Cloning from ${from} into ${namespace}/${name} failed` }
    : { scheduled: `Import into ${name} scheduled`, progress: `Import into ${name} in progress`, succeeded: `Successfully imported into PVC ${name}`, failed: `Failed to import into PVC ${name}` };

  // Bound follows the claim (CDI's updateBoundCondition).
  const pvc = observed.pvc;
  if (!pvc) setCondition(conditions, { type: 'Bound', status: 'False', reason: 'NotFound', message: 'No PVC found' }, at);
  else if (pvc.phase === 'Bound') setCondition(conditions, { type: 'Bound', status: 'True', reason: 'Bound', message: `PVC ${name} Bound` }, at);
  else setCondition(conditions, { type: 'Bound', status: 'False', reason: 'Pending', message: `PVC ${name} Pending` }, at);

  if (status.phase === 'Failed' || status.phase === 'Succeeded') return finish();

  if (pvc?.populated) {
    status.progress = '100.0%';
    phaseTo('Succeeded', { type: 'Normal', reason: words.succeeded, message: messages.succeeded });
    setCondition(conditions, { type: 'Ready', status: 'True' }, at);
    setCondition(conditions, { type: 'Running', status: 'False', reason: 'Completed' }, at);
    return finish();
  }
  if (observed.transfer?.error !== undefined) {
    const message = observed.transfer.error;
    phaseTo('Failed', { type: 'Warning', reason: words.failed, message: `${messages.failed}: ${message}` });
    setCondition(conditions, { type: 'Ready', status: 'False', reason: 'Error', message }, at);
    setCondition(conditions, { type: 'Running', status: 'False', reason: 'Error', message }, at);
    return finish();
  }

  if (!pvc) {
    if (clone && observed.cloneSource === 'missing') {
      phaseTo('CloneScheduled');
      setCondition(conditions, { type: 'Ready', status: 'False' }, at);
      setCondition(conditions, { type: 'Running', status: 'False', reason: 'CloneWithoutSource', message: `The source PVC ${from} doesn't exist` }, at);
      return finish();
    }
    const spec = structuredClone(plan.claimSpec);
    const size = observed.cloneSource !== undefined && observed.cloneSource !== 'missing' ? observed.cloneSource.size : undefined;
    const resources = (spec.resources ?? {}) as { requests?: Record<string, unknown> };
    if (clone && resources.requests?.storage === undefined) {
      // The size comes from the source, once it is known (Bound).
      if (size === undefined) {
        phaseTo('CloneScheduled');
        setCondition(conditions, { type: 'Ready', status: 'False' }, at);
        setCondition(conditions, { type: 'Running', status: 'False', reason: 'CloneSourceNotReady', message: `The source PVC ${from} is not Bound yet` }, at);
        return finish();
      }
      spec.resources = { ...resources, requests: { ...resources.requests, storage: size } };
    }
    actions.push({ type: 'createPvc', spec });
    phaseTo('Pending');
    setCondition(conditions, { type: 'Ready', status: 'False' }, at);
    setCondition(conditions, { type: 'Running', status: 'False' }, at);
    return finish();
  }
  if (!pvc.ownedByDv) {
    events.push({ type: 'Warning', reason: 'ErrResourceExists', message: `Resource "${name}" already exists and is not managed by DataVolume` });
    phaseTo('Pending');
    return finish();
  }
  if (pvc.phase !== 'Bound') {
    phaseTo('Pending');
    setCondition(conditions, { type: 'Ready', status: 'False' }, at);
    return finish();
  }
  if (observed.transfer) {
    if (observed.transfer.progress !== undefined && plan.source.type !== 'blank') status.progress = progressText(observed.transfer.progress);
    phaseTo(words.progress, { type: 'Normal', reason: words.progress, message: messages.progress });
    setCondition(conditions, { type: 'Running', status: 'True' }, at);
    setCondition(conditions, { type: 'Ready', status: 'False', reason: 'TransferRunning' }, at);
    return finish();
  }
  if (clone && (observed.cloneSource === 'missing' || observed.cloneSource?.ready !== true)) {
    phaseTo(words.scheduled, { type: 'Normal', reason: words.scheduled, message: messages.scheduled });
    const why = observed.cloneSource === 'missing' ? { reason: 'CloneWithoutSource', message: `The source PVC ${from} doesn't exist` } : { reason: 'CloneSourceNotReady', message: `The source PVC ${from} is not Bound with its data complete yet` };
    setCondition(conditions, { type: 'Running', status: 'False', ...why }, at);
    return finish();
  }
  // Bound, not populated, nothing running here: (re)start. A transfer that was in progress was cut off by a restart.
  if (status.phase === words.progress) status.restartCount = Number(status.restartCount) + 1;
  phaseTo(words.scheduled, { type: 'Normal', reason: words.scheduled, message: messages.scheduled });
  setCondition(conditions, { type: 'Ready', status: 'False' }, at);
  actions.push({ type: 'startTransfer' });
  return finish();
}
