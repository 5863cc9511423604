// The NNCP reconciler, pure: a policy (present, being deleted, its generation, whether it
// selects this node) and this node's enactment (the final outcome recorded for that generation)
// plus the time → the policy's conditions and what to do. Applying to the host is an action the
// controller (nncp-controller.ts) carries out, once per generation.
import { formatTimestamp } from '../store/object-meta.ts';
import { policyConditions, type Condition, type EnactmentOutcome } from './nncp-conditions.ts';
import type { Reconciled } from './reconciler.ts';

export interface NncpDesired {
  present: boolean;
  deleting: boolean;
  generation: number;
  selectsNode: boolean;
}

export interface NncpObserved {
  /** The final outcome this node's enactment records for `generation` (none while not applied). */
  appliedOutcome?: 'available' | 'failing';
  /** The policy's current conditions. */
  conditions?: readonly Condition[];
}

export type NncpAction =
  /** Remove this node's enactment (the policy is gone or does not select the node). */
  | { type: 'deleteEnactment' }
  /** Mark the enactment Progressing, apply the desired state, then report its outcome. */
  | { type: 'apply' };

/** The policy's new conditions (undefined when unchanged) and the actions. */
export type NncpResult = Reconciled<{ conditions: Condition[] }, NncpAction>;

/** The policy's conditions for this node's outcome (one node: counts are 0 or 1), undefined when unchanged. */
export function nncpPolicyStatus(outcome: EnactmentOutcome, now: Date, previous?: readonly Condition[]): { conditions: Condition[] } | undefined {
  const counts = { nodes: 1, available: outcome === 'available' ? 1 : 0, failing: outcome === 'failing' ? 1 : 0, notMatching: outcome === 'notMatching' ? 1 : 0 };
  const conditions = policyConditions(counts, formatTimestamp(now), previous);
  return JSON.stringify(conditions) === JSON.stringify(previous ?? []) ? undefined : { conditions };
}

/** Decides the next step for one policy on this node. */
export function reconcileNncp(desired: NncpDesired, observed: NncpObserved, now: Date): NncpResult {
  // Deleting a policy leaves the host as it is (nmstate's rule); only its enactment goes.
  if (!desired.present) return { status: undefined, actions: [{ type: 'deleteEnactment' }], events: [] };
  if (desired.deleting) return { status: undefined, actions: [], events: [] };
  // Like kubernetes-nmstate, a node the policy does not select has no enactment for it.
  if (!desired.selectsNode) return { status: nncpPolicyStatus('notMatching', now, observed.conditions), actions: [{ type: 'deleteEnactment' }], events: [] };
  // Applied once for this generation (maybe by an earlier daemon): only keep the status in step.
  if (observed.appliedOutcome) return { status: nncpPolicyStatus(observed.appliedOutcome, now, observed.conditions), actions: [], events: [] };
  return { status: nncpPolicyStatus('progressing', now, observed.conditions), actions: [{ type: 'apply' }], events: [] };
}
