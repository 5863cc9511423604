// The controller loop: watches VMIs and VMs in the store and the runtime's guests, reconciles
// each object in a keyed work queue (one run per object at a time, retried with backoff), and
// writes status, finalizers, VMIs and Events back to the store.
import { BOOT_OVERRIDE_ANNOTATION } from '../resources/boot-override.ts';
import type { Logger } from '../lib/logger.ts';
import { ValidationError } from '../resources/causes.ts';
import { vmiKind } from '../resources/vmi-kind.ts';
import { parseVmi, type Vmi } from '../resources/vmi-spec.ts';
import { resolveCloudInitSecrets } from './cloud-init-secrets.ts';
import { resolveConfigVolumes } from './config-volumes.ts';
import type { ConfigVolumeFiles } from '../runtime/types.ts';
import { RNG_ADDED_MESSAGE, rngAddedFor } from '../resources/device-plan.ts';
import type { GuestObservation, VmiRuntime } from '../runtime/types.ts';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../store/errors.ts';
import { inform } from './informer.ts';
import { addFinalizer, getOrNone, removeFinalizer, updateWithRetry } from './object-client.ts';
import type { Controllers } from './reconciler.ts';
import type { ObjectStore, ResourceKey, StoredObject, WatchEvent } from '../store/types.ts';
import { createEventRecorder } from './events.ts';
import type { VmMetrics } from './metrics.ts';
import { reconcileVm, VM_FINALIZER } from './vm-reconcile.ts';
import { deleteOwnedRevisions, resolveVmTypes } from './instancetype-resolve.ts';
import { reconcileVmi, VMI_FINALIZER, type VmiLocalState } from './vmi-reconcile.ts';
import { createWorkQueue } from './work-queue.ts';
import { claimsNotReady, vmDataVolumeGate, type ClaimState } from './volume-readiness.ts';

export const VMI_KEY: ResourceKey = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };
const SECRET_KEY: ResourceKey = { group: '', resource: 'secrets' };
const CONFIGMAP_KEY: ResourceKey = { group: '', resource: 'configmaps' };
export const VM_KEY: ResourceKey = { group: 'kubevirt.io', resource: 'virtualmachines' };
const PVC_KEY: ResourceKey = { group: '', resource: 'persistentvolumeclaims' };
const DV_KEY: ResourceKey = { group: 'cdi.kubevirt.io', resource: 'datavolumes' };

export interface ControllerOptions {
  store: ObjectStore;
  runtime: VmiRuntime;
  /** This node's name, written to status.nodeName. */
  nodeName: string;
  log: Logger;
  now?: () => Date;
  metrics?: VmMetrics;
  /** First retry delay of a failed reconcile (ms). */
  retryBaseMs?: number;
}

export type { Controllers } from './reconciler.ts';

type Kind = 'vmi' | 'vm';
const keyOf = (kind: Kind, ns: string | undefined, name: string): string => `${kind}:${ns ?? ''}/${name}`;
function parseKey(key: string): { kind: Kind; namespace: string; name: string } {
  const m = /^(vmi|vm):([^/]*)\/(.+)$/.exec(key);
  if (!m) throw new Error(`work queue key must be vmi|vm:NAMESPACE/NAME, found ${JSON.stringify(key)}`);
  return { kind: m[1] as Kind, namespace: m[2] ?? '', name: m[3] ?? '' };
}
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function ownerVmName(o: StoredObject): string | undefined {
  const ref = (o.metadata.ownerReferences ?? []).find((r) => r.kind === 'VirtualMachine' && r.controller === true);
  return typeof ref?.name === 'string' ? ref.name : undefined;
}

/** Adopts running guests, reconciles every VMI and VM, then follows the store and the runtime. */
export async function startControllers(options: ControllerOptions): Promise<Controllers> {
  const { store, runtime, log } = options;
  const now = options.now ?? (() => new Date());
  const recorder = createEventRecorder({ store, host: options.nodeName, log, now });
  const local = new Map<string, VmiLocalState>();
  const uidByKey = new Map<string, string>();
  const keyByUid = new Map<string, string>();
  const background = new Set<Promise<unknown>>();
  const aborter = new AbortController();
  let stopped = false;

  const track = (p: Promise<unknown>): void => {
    background.add(p);
    void p.finally(() => background.delete(p));
  };

  const queue = createWorkQueue({
    log,
    ...(options.retryBaseMs !== undefined ? { baseDelayMs: options.retryBaseMs } : {}),
    process: async (key) => {
      const { kind, namespace, name } = parseKey(key);
      if (kind === 'vmi') await processVmi(key, namespace, name);
      else processVm(key, namespace, name);
    },
  });

  const writeStatus = (key: ResourceKey, object: StoredObject, status: Record<string, unknown>): StoredObject | undefined => {
    try {
      return store.update(key, { ...object, status }, { subresource: 'status', expectedResourceVersion: object.metadata.resourceVersion });
    } catch (err) {
      // Changed since read (or gone): reconcile again from the fresh object.
      if (err instanceof ConflictError || err instanceof NotFoundError) return undefined;
      throw err;
    }
  };

  const remember = (key: string, uid: string): void => {
    const previous = uidByKey.get(key);
    if (previous && previous !== uid) {
      keyByUid.delete(previous);
      void orphan(previous);
    }
    uidByKey.set(key, uid);
    keyByUid.set(uid, key);
  };
  const forget = (key: string, uid: string): void => {
    if (uidByKey.get(key) === uid) uidByKey.delete(key);
    keyByUid.delete(uid);
    local.delete(uid);
  };

  /** A guest whose VMI is gone from the store: stop it at once and remove its pod. */
  const orphan = async (uid: string): Promise<void> => {
    if (keyByUid.has(uid)) return;
    const obs = runtime.observe(uid);
    if (obs && obs.storeId !== store.identity()) {
      // Not started from this store (or from before stores were recorded): not ours to remove.
      log.warn({ uid, state: obs.state, storeId: obs.storeId ?? 'unknown' }, 'a guest whose VMI is not in this store and that this store did not start: left alone');
      local.delete(uid);
      return;
    }
    log.info({ uid, state: obs?.state }, 'removing a guest whose VMI is gone');
    try {
      if (obs && obs.state !== 'exited') await runtime.stop(uid, 0);
      await runtime.cleanup(uid);
    } catch (err) {
      log.warn({ uid, err: errorText(err) }, 'could not remove an orphaned guest');
    }
    local.delete(uid);
  };

  const phaseOf = (key: ResourceKey, namespace: string, name: string): ClaimState | undefined => {
    const o = getOrNone(store, key, namespace, name);
    return o ? { ...(typeof (o.status as { phase?: unknown } | undefined)?.phase === 'string' ? { phase: (o.status as { phase: string }).phase } : {}) } : undefined;
  };
  const claimLookup = (namespace: string) => ({ pvc: (n: string) => phaseOf(PVC_KEY, namespace, n), dataVolume: (n: string) => phaseOf(DV_KEY, namespace, n) });

  const processVmi = async (key: string, namespace: string, name: string): Promise<void> => {
    let vmi = getOrNone(store, VMI_KEY, namespace, name);
    if (!vmi) {
      const uid = uidByKey.get(key);
      if (uid) {
        forget(key, uid);
        await orphan(uid);
      }
      return;
    }
    const uid = vmi.metadata.uid;
    remember(key, uid);
    const state = local.get(uid) ?? {};
    local.set(uid, state);
    const observation = runtime.observe(uid);
    const wanted = observation?.annotations;
    if (wanted && Object.entries(wanted).some(([k, v]) => vmi?.metadata.annotations?.[k] !== v)) {
      // network-status and the like: metadata, written apart from status (KubeVirt puts it on the pod).
      vmi = updateWithRetry(store, VMI_KEY, namespace, name, (o) => {
        o.metadata.annotations = { ...(o.metadata.annotations ?? {}), ...wanted };
        return true;
      }) ?? vmi;
    }
    const at = now();
    const result = reconcileVmi(vmi, observation, { now: at, nodeName: options.nodeName, local: state });
    log.debug({ key, phase: (vmi.status as { phase?: unknown } | undefined)?.phase, obs: observation?.state, state, actions: result.actions.map((a) => a.type), rv: vmi.metadata.resourceVersion }, 'reconcile vmi');
    if (result.status) {
      const before = (vmi.status as { phase?: unknown } | undefined)?.phase;
      const written = writeStatus(VMI_KEY, vmi, result.status);
      if (!written) {
        queue.add(key);
        return;
      }
      vmi = written;
      if (result.status.phase === 'Running' && before !== 'Running' && options.metrics) {
        const created = Date.parse(vmi.metadata.creationTimestamp);
        if (Number.isFinite(created)) options.metrics.vmiRunningSeconds.observe(Math.max(0, (at.getTime() - created) / 1000));
      }
    }
    for (const e of result.events) recorder.record(vmi, e, e.reason === 'SuccessfulCreate' ? 'virt-controller' : 'virt-handler');
    for (const action of result.actions) {
      switch (action.type) {
        case 'addFinalizer':
          vmi = updateWithRetry(store, VMI_KEY, namespace, name, addFinalizer(VMI_FINALIZER)) ?? vmi;
          break;
        case 'start': {
          // Claims first: a VMI waits (Pending) until its PVCs are Bound and its DataVolumes succeeded;
          // then its configMap/secret objects must exist (the kubelet's FailedMount until they do).
          const parsed = parseVmi(vmi);
          const claimsWait = claimsNotReady(((vmi.spec as { volumes?: unknown } | undefined)?.volumes ?? []) as Parameters<typeof claimsNotReady>[0], claimLookup(namespace));
          const config = !claimsWait && parsed.value ? resolveConfigVolumes(parsed.value, (kind, ns, objectName) => {
            const o = getOrNone(store, kind === 'Secret' ? SECRET_KEY : CONFIGMAP_KEY, ns, objectName);
            return o && { data: o.data, binaryData: o.binaryData };
          }) : undefined;
          const waiting = claimsWait ? { reason: 'WaitingForVolumes' as const, message: claimsWait } : config?.waiting ? { reason: 'FailedMount' as const, message: config.waiting } : undefined;
          if (waiting) {
            if (state.waitingFor?.message !== waiting.message) {
              recorder.record(vmi, { type: waiting.reason === 'FailedMount' ? 'Warning' : 'Normal', reason: waiting.reason, message: waiting.message }, 'virt-controller');
              state.waitingFor = waiting;
              queue.add(key); // the Ready condition says why
            }
            break;
          }
          if (state.waitingFor) {
            delete state.waitingFor;
            queue.add(key);
          }
          state.starting = true;
          delete state.startError;
          // The stored VMI passed admission: parsing it again only gives the runtime its type.
          log.info({ vmi: `${namespace}/${name}`, uid }, 'starting guest');
          if (parsed.value && rngAddedFor(parsed.value)) recorder.record(vmi, { type: 'Normal', reason: 'RngAdded', message: RNG_ADDED_MESSAGE }, 'virt-handler');
          // Secrets cloud-init refers to are read now, into the copy the runtime gets.
          let toStart: Vmi | undefined;
          let resolveError: Error | undefined;
          try {
            toStart = parsed.value && resolveCloudInitSecrets(parsed.value, (ns, secretName) => getOrNone(store, SECRET_KEY, ns, secretName)?.data as Record<string, unknown> | undefined);
          } catch (err) {
            resolveError = err as Error;
          }
          const configVolumes: ReadonlyMap<string, ConfigVolumeFiles> | undefined = config?.files;
          track(
            (resolveError
              ? Promise.reject(resolveError)
              : toStart
              ? runtime.start(toStart, {
                  signal: aborter.signal,
                  ...(configVolumes && configVolumes.size > 0 ? { configVolumes } : {}),
                  onProgress: (p) => {
                    if (p.done) options.metrics?.imagePulls.inc();
                  },
                })
              : Promise.reject(new ValidationError(`VMI ${namespace}/${name}`, parsed.causes))
            )
              .then(
                () => {
                  state.starting = false;
                },
                (err: unknown) => {
                  state.starting = false;
                  if (stopped) return;
                  state.startError = errorText(err);
                  log.warn({ vmi: `${namespace}/${name}`, uid, err: state.startError }, 'guest start failed');
                },
              )
              .finally(() => queue.add(key)),
          );
          break;
        }
        case 'stop':
          state.stopping = true;
          log.info({ vmi: `${namespace}/${name}`, uid, graceSeconds: action.graceSeconds }, 'stopping guest');
          track(
            runtime.stop(uid, action.graceSeconds).then(
              () => queue.add(key),
              (err: unknown) => {
                // Try again a little later (not at once: a failing stop must not spin).
                state.stopping = false;
                log.warn({ uid, err: errorText(err) }, 'guest stop failed');
                queue.addAfter(key, 1000);
              },
            ),
          );
          break;
        case 'cleanup':
          await runtime.cleanup(uid, { namespace, name });
          break;
        case 'removeFinalizer':
          updateWithRetry(store, VMI_KEY, namespace, name, removeFinalizer(VMI_FINALIZER));
          forget(key, uid);
          break;
      }
    }
  };

  const processVm = (key: string, namespace: string, name: string): void => {
    let vm = getOrNone(store, VM_KEY, namespace, name);
    if (!vm) return;
    const vmi = getOrNone(store, VMI_KEY, namespace, name);
    const resolved = vm.metadata.deletionTimestamp ? undefined : resolveVmTypes(store, VM_KEY, vm);
    if (resolved) vm = resolved.vm;
    const declared = (vm.spec as { dataVolumeTemplates?: unknown } | undefined)?.dataVolumeTemplates;
    const templates = Array.isArray(declared) ? (declared as Array<{ metadata?: { name?: string } }>).map((t) => t.metadata?.name ?? '') : [];
    const dataVolumes = templates.length > 0 ? vmDataVolumeGate(templates, claimLookup(namespace).dataVolume) : undefined;
    const result = reconcileVm(vm, vmi, { now: now(), ...(dataVolumes ? { dataVolumes } : {}), ...(resolved ? { types: resolved.types } : {}) });
    let current = vm;
    if (result.status) {
      const written = writeStatus(VM_KEY, vm, result.status);
      if (!written) {
        queue.add(key);
        return;
      }
      current = written;
    }
    for (const e of result.events) recorder.record(current, e, 'virt-controller');
    for (const action of result.actions) {
      switch (action.type) {
        case 'addFinalizer':
          updateWithRetry(store, VM_KEY, namespace, name, addFinalizer(VM_FINALIZER));
          break;
        case 'removeFinalizer':
          deleteOwnedRevisions(store, namespace, vm.metadata.uid);
          updateWithRetry(store, VM_KEY, namespace, name, removeFinalizer(VM_FINALIZER));
          break;
        case 'createVmi': {
          const admitted = vmiKind.default(action.vmi as unknown as Record<string, unknown>, { operation: 'CREATE' });
          try {
            store.create(VMI_KEY, admitted as unknown as typeof action.vmi);
          } catch (err) {
            if (!(err instanceof AlreadyExistsError)) throw err;
            queue.add(key);
          }
          break;
        }
        case 'clearBootOverride':
          // Only the value that went into the VMI: a BMC may have set a new one meanwhile.
          updateWithRetry(store, VM_KEY, namespace, name, (o) => {
            const annotations = o.metadata.annotations;
            if (annotations?.[BOOT_OVERRIDE_ANNOTATION] !== action.value) return false;
            delete annotations[BOOT_OVERRIDE_ANNOTATION];
            return true;
          });
          break;
        case 'deleteVmi':
          try {
            store.delete(VMI_KEY, namespace, name, { preconditions: { uid: action.uid }, ...(action.graceSeconds !== undefined ? { gracePeriodSeconds: action.graceSeconds } : {}) });
          } catch (err) {
            if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
          }
          break;
        case 'requeueAfter':
          queue.addAfter(key, action.seconds * 1000);
          break;
      }
    }
  };

  const onVmiEvent = (e: WatchEvent): void => {
    const { namespace, name } = e.object.metadata;
    queue.add(keyOf('vmi', namespace, name));
    const owner = ownerVmName(e.object);
    if (owner) queue.add(keyOf('vm', namespace, owner));
  };
  const onVmEvent = (e: WatchEvent): void => queue.add(keyOf('vm', e.object.metadata.namespace, e.object.metadata.name));
  // A claim, DataVolume, ConfigMap or Secret changed: the VMIs of its namespace waiting for volumes.
  const onWaitedEvent = (e: WatchEvent): void => {
    const { namespace } = e.object.metadata;
    for (const [key, uid] of uidByKey) if (local.get(uid)?.waitingFor !== undefined && key.startsWith(keyOf('vmi', namespace, ''))) queue.add(key);
  };
  // A claim or DataVolume changed: its owner VM too.
  const onClaimEvent = (e: WatchEvent): void => {
    const owner = (e.object.metadata.ownerReferences ?? []).find((r) => r.kind === 'VirtualMachine' && r.controller === true);
    if (typeof owner?.name === 'string') queue.add(keyOf('vm', e.object.metadata.namespace, owner.name));
    onWaitedEvent(e);
  };

  const follow = (key: ResourceKey, onEvent: (e: WatchEvent) => void): StoredObject[] => inform(store, key, onEvent, aborter.signal);

  const adopted = await runtime.adopt();
  log.info({ guests: adopted.length }, 'adopted running guests');
  const unsubscribe = runtime.onChange((obs: GuestObservation) => {
    const key = keyByUid.get(obs.uid);
    if (key) queue.add(key);
  });
  const vmis = follow(VMI_KEY, onVmiEvent);
  for (const o of vmis) remember(keyOf('vmi', o.metadata.namespace, o.metadata.name), o.metadata.uid);
  follow(VM_KEY, onVmEvent);
  follow(PVC_KEY, onClaimEvent);
  follow(DV_KEY, onClaimEvent);
  follow(CONFIGMAP_KEY, onWaitedEvent);
  follow(SECRET_KEY, onWaitedEvent);
  // Guests left by a previous daemon whose VMI no longer exists.
  for (const g of adopted) if (!keyByUid.has(g.uid)) track(orphan(g.uid));

  return {
    idle: async () => {
      for (;;) {
        await queue.idle();
        if (background.size === 0) {
          await queue.idle();
          return;
        }
        await Promise.allSettled([...background]);
      }
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      aborter.abort();
      await queue.stop();
    },
  };
}
