// The NNCP controller: follows NodeNetworkConfigurationPolicies in the store, applies each
// matching policy's desiredState to this node once per generation (one at a time), and writes
// the enactment `<node>.<policy>` and the policy's conditions. Deleting a policy removes its
// enactment but does not revert the host (nmstate's rule; `state: absent` does that).
import type { Logger } from '../lib/logger.ts';
import { applyDesiredState, recoverFromCheckpoint, type ApplyResult, type NetworkHost } from '../network/nncp/apply.ts';
import type { CheckpointJournal } from '../network/nncp/journal.ts';
import { createEventRecorder } from './events.ts';
import { parseDesiredState } from '../network/nncp/desired.ts';
import { formatTimestamp } from '../store/object-meta.ts';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../store/errors.ts';
import { inform } from './informer.ts';
import { getOrNone, updateStatus } from './object-client.ts';
import { nncpPolicyStatus, reconcileNncp } from './nncp-reconcile.ts';
import type { ObjectStore, ResourceKey, StoredObject, WatchEvent } from '../store/types.ts';
import type { Controllers } from './reconciler.ts';
import { enactmentConditions, type Condition, type EnactmentOutcome } from './nncp-conditions.ts';
import { createWorkQueue } from './work-queue.ts';

export const NNCP_KEY: ResourceKey = { group: 'nmstate.io', resource: 'nodenetworkconfigurationpolicies' };
export const NNCE_KEY: ResourceKey = { group: 'nmstate.io', resource: 'nodenetworkconfigurationenactments' };
/** Labels nmstate puts on enactments. */
export const ENACTMENT_POLICY_LABEL = 'nmstate.io/policy';
export const ENACTMENT_NODE_LABEL = 'nmstate.io/node';

export interface NncpControllerOptions {
  store: ObjectStore;
  nodeName: string;
  /** Labels of this node besides kubernetes.io/hostname (= nodeName), kubernetes.io/os and kubernetes.io/arch. */
  nodeLabels?: Record<string, string>;
  host: NetworkHost;
  log: Logger;
  now?: () => Date;
  retryBaseMs?: number;
  /** Where an apply's checkpoint is kept while it runs (a daemon killed mid-apply rolls back from it at start). */
  journal?: CheckpointJournal;
  /** Ping the default gateway before and after an apply (default true). */
  probeGateway?: boolean;
}

interface Status {
  policyGeneration?: number;
  conditions?: Condition[];
}

const statusOf = (o: StoredObject | undefined): Status => (o?.status ?? {}) as Status;
const isTrue = (conditions: Condition[] | undefined, type: string): boolean => conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

/** The outcome an enactment records, or undefined while none is final. */
function finalOutcome(enactment: StoredObject | undefined): EnactmentOutcome | undefined {
  const c = statusOf(enactment).conditions;
  if (isTrue(c, 'Available')) return 'available';
  if (isTrue(c, 'Failing')) return 'failing';
  return undefined;
}

/** Whether a nodeSelector (plain map) selects a node with these labels. */
export function selectsNode(selector: unknown, labels: Record<string, string>): boolean {
  if (typeof selector !== 'object' || selector === null) return true;
  return Object.entries(selector as Record<string, unknown>).every(([k, v]) => labels[k] === v);
}

/** Starts the controller; stop() ends watching (an apply under way finishes first). */
export async function startNncpController(options: NncpControllerOptions): Promise<Controllers> {
  const { store, log, nodeName } = options;
  const now = options.now ?? (() => new Date());
  const labels: Record<string, string> = { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch, ...options.nodeLabels, 'kubernetes.io/hostname': nodeName };
  const aborter = new AbortController();
  let stopped = false;
  // One apply at a time on this node: policies change the same host and checkpoint it.
  let applying: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = applying.then(fn, fn);
    applying = next.catch(() => undefined);
    return next;
  };

  const tryGet = (key: ResourceKey, name: string): StoredObject | undefined => getOrNone(store, key, undefined, name);

  /** Creates or updates the enactment's status; returns it. */
  const writeEnactment = (policy: StoredObject, outcome: Exclude<EnactmentOutcome, 'notMatching'>, message: string): StoredObject => {
    const name = `${nodeName}.${policy.metadata.name}`;
    const at = formatTimestamp(now());
    for (let attempt = 0; ; attempt++) {
      const current = tryGet(NNCE_KEY, name);
      const status = {
        desiredState: (policy.spec as { desiredState?: unknown } | undefined)?.desiredState ?? {},
        desiredStateMetaInfo: { version: '0' },
        policyGeneration: policy.metadata.generation,
        conditions: enactmentConditions(outcome, message, at, statusOf(current).conditions),
      };
      try {
        if (!current) {
          return store.create(NNCE_KEY, {
            apiVersion: 'nmstate.io/v1beta1',
            kind: 'NodeNetworkConfigurationEnactment',
            metadata: {
              name,
              labels: { [ENACTMENT_POLICY_LABEL]: policy.metadata.name, [ENACTMENT_NODE_LABEL]: nodeName },
              ownerReferences: [{ apiVersion: policy.apiVersion, kind: policy.kind, name: policy.metadata.name, uid: policy.metadata.uid }],
            },
            status,
          });
        }
        return store.update(NNCE_KEY, { ...current, status }, { subresource: 'status', expectedResourceVersion: current.metadata.resourceVersion });
      } catch (err) {
        if (!(err instanceof ConflictError || err instanceof AlreadyExistsError) || attempt >= 5) throw err;
      }
    }
  };

  /** Writes the policy's conditions (for the generation reconciled; a newer one is left alone). */
  const writePolicy = (policy: StoredObject, generation: number, status: { conditions: Condition[] } | undefined): void => {
    if (!status) return;
    updateStatus(store, NNCP_KEY, policy, (current) => (current.metadata.generation === generation ? { ...(current.status as object | undefined), ...status } : current.status));
  };

  const apply = async (policy: StoredObject): Promise<{ outcome: 'available' | 'failing'; message: string; result?: ApplyResult }> => {
    let desired;
    try {
      desired = parseDesiredState((policy.spec as { desiredState?: unknown } | undefined)?.desiredState);
    } catch (err) {
      return { outcome: 'failing', message: `${err instanceof Error ? err.message : String(err)}; nothing was changed` };
    }
    const generation = policy.metadata.generation ?? 0;
    const journal = options.journal;
    const result = await applyDesiredState(desired, {
      host: options.host,
      log,
      signal: aborter.signal,
      ...(options.probeGateway === false ? { probeGateway: false } : {}),
      ...(journal ? { journal: { save: (checkpoint) => journal.save({ policy: policy.metadata.name, generation, startedAt: now().toISOString(), checkpoint }), clear: () => journal.clear() } } : {}),
    });
    return { outcome: result.ok ? 'available' : 'failing', message: result.ok ? 'successfully reconciled' : result.message, result };
  };

  const deleteEnactment = (name: string): void => {
    try {
      store.delete(NNCE_KEY, undefined, name);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  };

  const reconcile = async (name: string): Promise<void> => {
    const enactmentName = `${nodeName}.${name}`;
    const policy = tryGet(NNCP_KEY, name);
    const generation = policy?.metadata.generation ?? 0;
    const enactment = policy ? tryGet(NNCE_KEY, enactmentName) : undefined;
    const done = statusOf(enactment).policyGeneration === generation ? finalOutcome(enactment) : undefined;
    const r = reconcileNncp(
      { present: policy !== undefined, deleting: policy?.metadata.deletionTimestamp !== undefined, generation, selectsNode: selectsNode((policy?.spec as { nodeSelector?: unknown } | undefined)?.nodeSelector, labels) },
      { ...(done === 'available' || done === 'failing' ? { appliedOutcome: done } : {}), ...(policy ? { conditions: statusOf(policy).conditions ?? [] } : {}) },
      now(),
    );
    if (r.actions.some((a) => a.type === 'deleteEnactment')) deleteEnactment(enactmentName);
    if (!policy) return;
    const applying = r.actions.some((a) => a.type === 'apply');
    if (applying) writeEnactment(policy, 'progressing', 'Applying desired state');
    writePolicy(policy, generation, r.status);
    if (!applying) return;
    const { outcome, message, result } = await serially(() => apply(policy));
    log.info({ policy: name, generation, outcome, message, steps: result?.steps.length }, outcome === 'available' ? 'policy applied' : 'policy failed');
    if (stopped && outcome === 'failing' && result?.error?.name === 'AbortError') return;
    const latest = tryGet(NNCP_KEY, name);
    if (!latest || latest.metadata.uid !== policy.metadata.uid) return;
    writeEnactment(policy, outcome, message);
    writePolicy(latest, generation, nncpPolicyStatus(outcome, now(), statusOf(latest).conditions));
  };

  // An apply the previous daemon did not finish: roll the node back before anything else.
  const pending = await options.journal?.load();
  if (pending) {
    const back = await recoverFromCheckpoint(options.host, pending.checkpoint).catch((err: unknown) => ({ complete: false, message: `rollback failed: ${err instanceof Error ? err.message : String(err)}` }));
    const message = `pxevirt stopped while applying generation ${pending.generation} of this policy (started ${pending.startedAt}); ${back.message}; it is applied again`;
    log.warn({ policy: pending.policy, generation: pending.generation, complete: back.complete }, message);
    const policy = tryGet(NNCP_KEY, pending.policy);
    if (policy) createEventRecorder({ store, host: nodeName, log, now }).record(policy, { type: 'Warning', reason: back.complete ? 'RolledBack' : 'RollbackIncomplete', message }, 'nncp-controller' as 'virt-controller');
    if (back.complete) await options.journal?.clear();
  }

  const queue = createWorkQueue({ log, ...(options.retryBaseMs !== undefined ? { baseDelayMs: options.retryBaseMs } : {}), process: reconcile });
  const onEvent = (e: WatchEvent): void => queue.add(e.object.metadata.name);
  const follow = (key: ResourceKey, handler: (e: WatchEvent) => void): void => void inform(store, key, handler, aborter.signal);
  follow(NNCP_KEY, onEvent);
  // Enactments of policies that are gone (deleted while the daemon was down) are removed.
  follow(NNCE_KEY, (e) => {
    const policy = e.object.metadata.labels?.[ENACTMENT_POLICY_LABEL];
    if (e.type !== 'DELETED' && policy && e.object.metadata.labels?.[ENACTMENT_NODE_LABEL] === nodeName && !tryGet(NNCP_KEY, policy)) queue.add(policy);
  });

  return {
    idle: async () => {
      await queue.idle();
      await applying;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      aborter.abort();
      await queue.stop();
      await applying;
    },
  };
}
