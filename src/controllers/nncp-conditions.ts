// nmstate's conditions for policies and enactments (pure): types, reasons and messages as
// kubernetes-nmstate writes them, with lastTransitionTime kept while a status stays the same.

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
  lastTransitionTime: string;
}

export const NncpReason = {
  SuccessfullyConfigured: 'SuccessfullyConfigured',
  FailedToConfigure: 'FailedToConfigure',
  ConfigurationProgressing: 'ConfigurationProgressing',
  NoMatchingNode: 'NoMatchingNode',
} as const;

/** One node's outcome for a policy. */
export type EnactmentOutcome = 'progressing' | 'available' | 'failing' | 'notMatching';

type Spec = [type: string, status: Condition['status'], reason: string, message: string];

function merge(previous: readonly Condition[] | undefined, specs: Spec[], now: string): Condition[] {
  return specs.map(([type, status, reason, message]) => {
    const before = previous?.find((c) => c.type === type);
    const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : now;
    return { type, status, reason, ...(message ? { message } : {}), lastTransitionTime };
  });
}

/** An enactment's conditions: Failing, Available, Progressing, Pending, Aborted. */
export function enactmentConditions(outcome: Exclude<EnactmentOutcome, 'notMatching'>, message: string, now: string, previous?: readonly Condition[]): Condition[] {
  const R = NncpReason;
  switch (outcome) {
    case 'progressing':
      return merge(previous, [
        ['Failing', 'Unknown', R.ConfigurationProgressing, ''],
        ['Available', 'Unknown', R.ConfigurationProgressing, ''],
        ['Progressing', 'True', R.ConfigurationProgressing, message || 'Applying desired state'],
        ['Pending', 'False', R.ConfigurationProgressing, ''],
        ['Aborted', 'False', R.ConfigurationProgressing, ''],
      ], now);
    case 'available':
      return merge(previous, [
        ['Failing', 'False', R.SuccessfullyConfigured, ''],
        ['Available', 'True', R.SuccessfullyConfigured, message || 'successfully reconciled'],
        ['Progressing', 'False', R.SuccessfullyConfigured, ''],
        ['Pending', 'False', R.SuccessfullyConfigured, ''],
        ['Aborted', 'False', R.SuccessfullyConfigured, ''],
      ], now);
    case 'failing':
      return merge(previous, [
        ['Failing', 'True', R.FailedToConfigure, message],
        ['Available', 'False', R.FailedToConfigure, ''],
        ['Progressing', 'False', R.FailedToConfigure, ''],
        ['Pending', 'False', R.FailedToConfigure, ''],
        ['Aborted', 'False', R.FailedToConfigure, ''],
      ], now);
  }
}

/** Counts of enactment outcomes for one policy generation. */
export interface EnactmentCounts {
  nodes: number;
  available: number;
  failing: number;
  notMatching: number;
}

/** A policy's conditions (Available, Degraded, Progressing) from its enactments' outcomes, with nmstate's messages. */
export function policyConditions(counts: EnactmentCounts, now: string, previous?: readonly Condition[]): Condition[] {
  const R = NncpReason;
  const finished = counts.available + counts.failing + counts.notMatching;
  const matching = counts.nodes - counts.notMatching;
  if (finished < counts.nodes) {
    const message = `Policy is progressing ${finished}/${counts.nodes} nodes finished`;
    return merge(previous, [
      ['Available', 'Unknown', R.ConfigurationProgressing, ''],
      ['Degraded', 'Unknown', R.ConfigurationProgressing, ''],
      ['Progressing', 'True', R.ConfigurationProgressing, message],
    ], now);
  }
  if (matching === 0) {
    const message = 'Policy does not match any node';
    return merge(previous, [
      ['Available', 'True', R.NoMatchingNode, message],
      ['Degraded', 'False', R.NoMatchingNode, message],
      ['Progressing', 'False', R.NoMatchingNode, ''],
    ], now);
  }
  if (counts.failing > 0) {
    return merge(previous, [
      ['Available', 'False', R.FailedToConfigure, ''],
      ['Degraded', 'True', R.FailedToConfigure, `${counts.failing}/${matching} nodes failed to configure`],
      ['Progressing', 'False', R.FailedToConfigure, ''],
    ], now);
  }
  return merge(previous, [
    ['Available', 'True', R.SuccessfullyConfigured, `${counts.available}/${counts.available} nodes successfully configured`],
    ['Degraded', 'False', R.SuccessfullyConfigured, ''],
    ['Progressing', 'False', R.SuccessfullyConfigured, ''],
  ], now);
}
