// The storage controller: PersistentVolumeClaims of the local class (provision, bind, delete the
// disk with the claim once no VMI uses it), DataVolumes (create the claim, run the transfer,
// report CDI's status), and the VMs' dataVolumeTemplates (create the DataVolumes, owned by the
// VM). pxevirt has no garbage collector: what a DataVolume or VM owns is deleted here when its
// owner goes (and at start, for owners deleted while the daemon was down).
import type { Logger } from '../lib/logger.ts';
import { planClaim } from '../resources/claim-spec.ts';
import { planDataVolume } from '../resources/datavolume-spec.ts';
import { dataVolumesOfVm } from '../resources/datavolume-template.ts';
import { findClaim, provisionClaim, removeClaim } from '../runtime/volumes/index.ts';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../store/errors.ts';
import type { NewObject, ObjectStore, ResourceKey, StoredObject, WatchEvent } from '../store/types.ts';
import { POD_PHASE_ANNOTATION, reconcileDataVolume } from './datavolume-reconcile.ts';
import { runTransfer, type TransferContext } from './datavolume-transfer.ts';
import { createEventRecorder } from './events.ts';
import { inform } from './informer.ts';
import { addFinalizer, getOrNone, removeFinalizer, updateStatus, updateWithRetry } from './object-client.ts';
import { PVC_PROTECTION_FINALIZER, reconcilePvc } from './pvc-reconcile.ts';
import type { Controllers } from './reconciler.ts';
import { createWorkQueue } from './work-queue.ts';

export const PVC_KEY: ResourceKey = { group: '', resource: 'persistentvolumeclaims' };
export const DV_KEY: ResourceKey = { group: 'cdi.kubevirt.io', resource: 'datavolumes' };
const VM_KEY: ResourceKey = { group: 'kubevirt.io', resource: 'virtualmachines' };
const VMI_KEY: ResourceKey = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };

export interface StorageControllerOptions extends TransferContext {
  log: Logger;
  nodeName: string;
  now?: () => Date;
  retryBaseMs?: number;
  /** How often a running transfer's progress is written to status (ms, default 1000). */
  progressEveryMs?: number;
}

interface Transfer {
  abort: AbortController;
  progress?: number;
  error?: string;
  progressQueued?: boolean;
}

type Kind = 'pvc' | 'dv' | 'vm';
const keyOf = (kind: Kind, ns: string | undefined, name: string): string => `${kind}:${ns ?? ''}/${name}`;
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const controllerOwner = (o: StoredObject, kind: string) => (o.metadata.ownerReferences ?? []).find((r) => r.kind === kind && r.controller === true);
const phaseOf = (o: StoredObject | undefined): string | undefined => (o?.status as { phase?: string } | undefined)?.phase;

/** The claims a VMI's volumes name (persistentVolumeClaim.claimName, dataVolume.name). */
function claimsOf(vmi: StoredObject): string[] {
  const volumes = (vmi.spec as { volumes?: Array<{ persistentVolumeClaim?: { claimName?: string }; dataVolume?: { name?: string } }> } | undefined)?.volumes ?? [];
  return volumes.map((v) => v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name).filter((n): n is string => typeof n === 'string');
}

/** Starts the controller; stop() aborts running transfers (they restart at the next start). */
export async function startStorageController(options: StorageControllerOptions): Promise<Controllers> {
  const { store, log } = options;
  const now = options.now ?? (() => new Date());
  const recorder = createEventRecorder({ store, host: options.nodeName, log, now });
  const aborter = new AbortController();
  const transfers = new Map<string, Transfer>();
  const provisionErrors = new Map<string, string>();
  const background = new Set<Promise<unknown>>();
  const progressEveryMs = options.progressEveryMs ?? 1000;

  const usedBy = (namespace: string, claim: string): string | undefined => {
    const vmi = store.list(VMI_KEY, { namespace }).items.find((v) => phaseOf(v) !== 'Succeeded' && phaseOf(v) !== 'Failed' && claimsOf(v).includes(claim));
    return vmi ? `${namespace}/${vmi.metadata.name}` : undefined;
  };
  const tryDelete = (key: ResourceKey, namespace: string | undefined, name: string, uid: string): void => {
    try {
      store.delete(key, namespace, name, { preconditions: { uid } });
    } catch (err) {
      if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
    }
  };

  const processPvc = async (namespace: string, name: string): Promise<void> => {
    const pvc = getOrNone(store, PVC_KEY, namespace, name);
    if (!pvc) return;
    const uid = pvc.metadata.uid;
    const provisioned = (await findClaim(options.claimsDir, namespace, name, uid)) !== undefined;
    const provisionError = provisionErrors.get(uid);
    const user = pvc.metadata.deletionTimestamp ? usedBy(namespace, name) : undefined;
    const r = reconcilePvc(
      {
        uid,
        deleting: pvc.metadata.deletionTimestamp !== undefined,
        hasFinalizer: (pvc.metadata.finalizers ?? []).includes(PVC_PROTECTION_FINALIZER),
        plan: planClaim(pvc.spec),
        status: (pvc.status ?? {}) as Record<string, unknown>,
        ...(typeof (pvc.spec as { volumeName?: unknown })?.volumeName === 'string' ? { volumeName: (pvc.spec as { volumeName: string }).volumeName } : {}),
      },
      { provisioned, ...(user ? { usedBy: user } : {}), ...(provisionError ? { provisionError } : {}) },
    );
    if (r.status) updateStatus(store, PVC_KEY, pvc, () => r.status);
    for (const e of r.events) recorder.record(pvc, e, 'persistentvolume-controller' as 'virt-controller');
    for (const action of r.actions) {
      switch (action.type) {
        case 'addFinalizer':
          updateWithRetry(store, PVC_KEY, namespace, name, addFinalizer(PVC_PROTECTION_FINALIZER), { preserveStatus: true });
          break;
        case 'provision':
          try {
            await provisionClaim(options.claimsDir, namespace, name, { uid, format: action.plan.format, sizeBytes: action.plan.sizeBytes, volumeMode: action.plan.volumeMode }, { signal: aborter.signal });
            log.info({ pvc: `${namespace}/${name}`, bytes: action.plan.sizeBytes, format: action.plan.format }, 'claim provisioned');
          } catch (err) {
            if (aborter.signal.aborted) return;
            provisionErrors.set(uid, errorText(err));
          }
          queue.add(keyOf('pvc', namespace, name));
          break;
        case 'setVolumeName':
          updateWithRetry(store, PVC_KEY, namespace, name, (o) => {
            (o.spec as Record<string, unknown>).volumeName = action.volumeName;
            return true;
          }, { preserveStatus: true });
          break;
        case 'removeDisk':
          await removeClaim(options.claimsDir, namespace, name, uid);
          provisionErrors.delete(uid);
          break;
        case 'removeFinalizer':
          updateWithRetry(store, PVC_KEY, namespace, name, removeFinalizer(PVC_PROTECTION_FINALIZER), { preserveStatus: true });
          break;
      }
    }
  };

  const startTransfer = (dv: StoredObject, plan: NonNullable<ReturnType<typeof planDataVolume>['value']>): void => {
    const { namespace = 'default', name, uid } = dv.metadata;
    const key = keyOf('dv', namespace, name);
    const t: Transfer = { abort: new AbortController() };
    transfers.set(uid, t);
    const signal = AbortSignal.any([aborter.signal, t.abort.signal]);
    const onProgress = (percent: number): void => {
      t.progress = percent;
      if (t.progressQueued) return;
      t.progressQueued = true;
      setTimeout(() => {
        t.progressQueued = false;
        queue.add(key);
      }, progressEveryMs).unref();
    };
    log.info({ dv: `${namespace}/${name}`, source: plan.source.type }, 'transfer started');
    const p = runTransfer(options, namespace, name, plan, { signal, onProgress }).then(
      () => {
        // Durable before anyone is told: the claim says its data is complete.
        updateWithRetry(store, PVC_KEY, namespace, name, (o) => {
          o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [POD_PHASE_ANNOTATION]: 'Succeeded' };
          return true;
        }, { preserveStatus: true });
        transfers.delete(uid);
        log.info({ dv: `${namespace}/${name}` }, 'transfer succeeded');
      },
      (err: unknown) => {
        if (signal.aborted) {
          transfers.delete(uid);
          return;
        }
        t.error = errorText(err);
        log.warn({ dv: `${namespace}/${name}`, err: t.error }, 'transfer failed');
      },
    );
    background.add(p);
    void p.finally(() => {
      background.delete(p);
      queue.add(key);
    });
  };

  const processDv = (namespace: string, name: string): void => {
    const dv = getOrNone(store, DV_KEY, namespace, name);
    if (!dv || dv.metadata.deletionTimestamp) return;
    const plan = planDataVolume(dv.spec, namespace);
    const pvc = getOrNone(store, PVC_KEY, namespace, name);
    const transfer = transfers.get(dv.metadata.uid);
    let cloneSource: { ready: boolean; size?: string } | 'missing' | undefined;
    if (plan.value?.source.type === 'pvc') {
      const { namespace: sns, name: sname } = plan.value.source;
      const source = getOrNone(store, PVC_KEY, sns, sname);
      const sourceDv = getOrNone(store, DV_KEY, sns, sname);
      const size = (source?.status as { capacity?: { storage?: unknown } } | undefined)?.capacity?.storage;
      cloneSource = !source
        ? 'missing'
        : { ready: phaseOf(source) === 'Bound' && (!sourceDv || phaseOf(sourceDv) === 'Succeeded') && usedBy(sns, sname) === undefined, ...(typeof size === 'string' ? { size } : {}) };
    }
    const r = reconcileDataVolume(
      { name, namespace, plan, status: (dv.status ?? {}) as Record<string, unknown> },
      {
        ...(pvc ? { pvc: { ownedByDv: controllerOwner(pvc, 'DataVolume')?.uid === dv.metadata.uid, ...(phaseOf(pvc) !== undefined ? { phase: phaseOf(pvc) as string } : {}), populated: pvc.metadata.annotations?.[POD_PHASE_ANNOTATION] === 'Succeeded' } } : {}),
        ...(transfer ? { transfer: { ...(transfer.progress !== undefined ? { progress: transfer.progress } : {}), ...(transfer.error !== undefined ? { error: transfer.error } : {}) } } : {}),
        ...(cloneSource ? { cloneSource } : {}),
      },
      now(),
    );
    if (r.status && !updateStatus(store, DV_KEY, dv, () => r.status)) return;
    if (transfer?.error !== undefined && r.status?.phase === 'Failed') transfers.delete(dv.metadata.uid);
    for (const e of r.events) recorder.record(dv, e, 'datavolume-controller' as 'virt-controller');
    for (const action of r.actions) {
      if (action.type === 'createPvc') {
        const claim: NewObject = {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name,
            namespace,
            ...(dv.metadata.labels ? { labels: { ...dv.metadata.labels } } : {}),
            ownerReferences: [{ apiVersion: dv.apiVersion, kind: 'DataVolume', name, uid: dv.metadata.uid, controller: true, blockOwnerDeletion: true }],
          },
          spec: { storageClassName: 'local', volumeMode: 'Filesystem', ...action.spec },
          status: { phase: 'Pending' },
        };
        try {
          store.create(PVC_KEY, claim);
        } catch (err) {
          if (!(err instanceof AlreadyExistsError)) throw err;
        }
      } else if (plan.value && !transfers.has(dv.metadata.uid)) startTransfer(dv, plan.value);
    }
  };

  const processVm = (namespace: string, name: string): void => {
    const vm = getOrNone(store, VM_KEY, namespace, name);
    if (!vm || vm.metadata.deletionTimestamp) return;
    for (const dv of dataVolumesOfVm(vm)) {
      const dvName = String((dv.metadata as { name?: unknown }).name);
      const existing = getOrNone(store, DV_KEY, namespace, dvName);
      if (existing) {
        if (controllerOwner(existing, 'VirtualMachine')?.uid !== vm.metadata.uid && controllerOwner(existing, 'VirtualMachine') !== undefined) {
          recorder.record(vm, { type: 'Warning', reason: 'FailedCreate', message: `DataVolume ${dvName} exists and belongs to another owner` }, 'virt-controller');
        }
        continue;
      }
      try {
        store.create(DV_KEY, dv as unknown as NewObject);
        recorder.record(vm, { type: 'Normal', reason: 'SuccessfulDataVolumeCreate', message: `Created DataVolume ${dvName}` }, 'virt-controller');
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
      }
    }
  };

  const queue = createWorkQueue({
    log,
    ...(options.retryBaseMs !== undefined ? { baseDelayMs: options.retryBaseMs } : {}),
    process: async (key) => {
      const m = /^(pvc|dv|vm):([^/]*)\/(.+)$/.exec(key);
      if (!m) return;
      const [, kind, namespace = '', name = ''] = m;
      if (kind === 'pvc') await processPvc(namespace, name);
      else if (kind === 'dv') processDv(namespace, name);
      else processVm(namespace, name);
    },
  });

  /** Deletes what `owner` owned (kind `ownerKind`) when the owner is gone or another object of its name. */
  const collect = (key: ResourceKey, ownerKey: ResourceKey, ownerKind: string, object: StoredObject): void => {
    const ref = controllerOwner(object, ownerKind);
    if (!ref || typeof ref.uid !== 'string' || typeof ref.name !== 'string') return;
    const owner = getOrNone(store, ownerKey, object.metadata.namespace, ref.name);
    if (owner?.metadata.uid === ref.uid) return;
    log.info({ kind: object.kind, object: `${object.metadata.namespace}/${object.metadata.name}`, owner: `${ownerKind} ${ref.name}` }, 'deleting an object whose owner is gone');
    tryDelete(key, object.metadata.namespace, object.metadata.name, object.metadata.uid);
  };
  const ownedBy = (key: ResourceKey, ownerKind: string, owner: StoredObject): StoredObject[] =>
    store.list(key, { namespace: owner.metadata.namespace ?? 'default' }).items.filter((o) => controllerOwner(o, ownerKind)?.uid === owner.metadata.uid);

  const follow = (key: ResourceKey, onEvent: (e: WatchEvent) => void): StoredObject[] => inform(store, key, onEvent, aborter.signal);
  follow(PVC_KEY, (e) => {
    queue.add(keyOf('pvc', e.object.metadata.namespace, e.object.metadata.name));
    // A DataVolume follows its claim; clones follow their source (any DataVolume of the namespace).
    for (const dv of store.list(DV_KEY, { namespace: e.object.metadata.namespace ?? 'default' }).items) queue.add(keyOf('dv', dv.metadata.namespace, dv.metadata.name));
  });
  follow(DV_KEY, (e) => {
    if (e.type === 'DELETED') {
      transfers.get(e.object.metadata.uid)?.abort.abort();
      transfers.delete(e.object.metadata.uid);
      for (const pvc of ownedBy(PVC_KEY, 'DataVolume', e.object)) tryDelete(PVC_KEY, pvc.metadata.namespace, pvc.metadata.name, pvc.metadata.uid);
      return;
    }
    queue.add(keyOf('dv', e.object.metadata.namespace, e.object.metadata.name));
  });
  follow(VM_KEY, (e) => {
    if (e.type === 'DELETED') {
      for (const dv of ownedBy(DV_KEY, 'VirtualMachine', e.object)) tryDelete(DV_KEY, dv.metadata.namespace, dv.metadata.name, dv.metadata.uid);
      return;
    }
    queue.add(keyOf('vm', e.object.metadata.namespace, e.object.metadata.name));
  });
  // A VMI that ends or goes may free a claim being deleted.
  follow(VMI_KEY, (e) => {
    for (const claim of claimsOf(e.object)) {
      const pvc = getOrNone(store, PVC_KEY, e.object.metadata.namespace, claim);
      if (pvc?.metadata.deletionTimestamp) queue.add(keyOf('pvc', pvc.metadata.namespace, claim));
    }
  });
  // Owners deleted while the daemon was down.
  for (const dv of store.list(DV_KEY).items) collect(DV_KEY, VM_KEY, 'VirtualMachine', dv);
  for (const pvc of store.list(PVC_KEY).items) collect(PVC_KEY, DV_KEY, 'DataVolume', pvc);

  return {
    idle: async () => {
      for (;;) {
        await queue.idle();
        if (background.size === 0) return;
        await Promise.allSettled([...background]);
      }
    },
    stop: async () => {
      aborter.abort();
      await queue.stop();
      await Promise.allSettled([...background]);
    },
  };
}
