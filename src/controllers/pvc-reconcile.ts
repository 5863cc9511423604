// The PersistentVolumeClaim reconciler, pure: a claim (its plan, whether it is being deleted)
// and what this node has (its disk provisioned, a VMI using it) → the status, Events and what to
// do. The local class binds at once (volumeBindingMode Immediate) and deletes the disk with the
// claim (reclaimPolicy Delete), but not while a VMI still uses it (kubernetes.io/pvc-protection).
import type { ClaimPlan } from '../resources/claim-spec.ts';
import type { Validated } from '../resources/causes.ts';
import type { ControllerEvent, Reconciled } from './reconciler.ts';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';

export interface PvcDesired {
  uid: string;
  deleting: boolean;
  hasFinalizer: boolean;
  plan: Validated<ClaimPlan>;
  /** The stored status. */
  status: Record<string, unknown>;
  volumeName?: string;
}

export interface PvcObserved {
  /** The claim's disk exists on this node for this uid. */
  provisioned: boolean;
  /** A VMI (not ended) whose volumes name the claim, if any: `namespace/name`. */
  usedBy?: string;
  /** Why the last provisioning failed. */
  provisionError?: string;
}

export type PvcAction =
  | { type: 'addFinalizer' }
  | { type: 'provision'; plan: ClaimPlan }
  | { type: 'setVolumeName'; volumeName: string }
  | { type: 'removeDisk' }
  | { type: 'removeFinalizer' };

export type PvcResult = Reconciled<Record<string, unknown>, PvcAction>;

/** The PersistentVolume name a claim is bound to (no PV objects are served; the name is for kubectl's VOLUME column). */
export const volumeNameOf = (uid: string): string => `pvc-${uid}`;

function result(old: Record<string, unknown>, status: Record<string, unknown>, actions: PvcAction[], events: ControllerEvent[]): PvcResult {
  return { status: JSON.stringify(old) === JSON.stringify(status) ? undefined : status, actions, events };
}

/** Decides the next step for one claim. */
export function reconcilePvc(desired: PvcDesired, observed: PvcObserved): PvcResult {
  const old = desired.status;
  if (desired.deleting) {
    if (observed.usedBy) return result(old, old, [], []);
    return result(old, old, [{ type: 'removeDisk' }, ...(desired.hasFinalizer ? [{ type: 'removeFinalizer' } as const] : [])], []);
  }
  const actions: PvcAction[] = desired.hasFinalizer ? [] : [{ type: 'addFinalizer' }];
  const plan = desired.plan.value;
  if (!plan) {
    const message = desired.plan.causes.map((c) => `${c.field}: ${c.message}`).join('; ');
    return result(old, { ...old, phase: 'Pending' }, actions, [{ type: 'Warning', reason: 'ProvisioningFailed', message }]);
  }
  if (!observed.provisioned) {
    if (observed.provisionError) {
      return result(old, { ...old, phase: 'Pending' }, actions, [{ type: 'Warning', reason: 'ProvisioningFailed', message: `failed to provision volume with StorageClass "${plan.storageClassName}": ${observed.provisionError}` }]);
    }
    return result(old, { ...old, phase: 'Pending' }, [...actions, { type: 'provision', plan }], []);
  }
  const volumeName = volumeNameOf(desired.uid);
  if (desired.volumeName !== volumeName) actions.push({ type: 'setVolumeName', volumeName });
  const status = { ...old, phase: 'Bound', accessModes: plan.accessModes, capacity: { storage: plan.sizeText } };
  const events: ControllerEvent[] = old.phase === 'Bound' ? [] : [{ type: 'Normal', reason: 'ProvisioningSucceeded', message: `Successfully provisioned volume ${volumeName}` }];
  return result(old, status, actions, events);
}
