// The one object client of the controllers: get-or-none, metadata updates retried on conflict,
// status writes, finalizer add/remove — controller-runtime's client + IgnoreNotFound, over the store.
import { ConflictError, NotFoundError } from '../store/errors.ts';
import type { ObjectStore, ResourceKey, StoredObject } from '../store/types.ts';

/** How often an update is retried when the object changed under it. */
const CONFLICT_RETRIES = 5;

/** The object, or undefined when it does not exist. */
export function getOrNone(store: ObjectStore, key: ResourceKey, namespace: string | undefined, name: string): StoredObject | undefined {
  try {
    return store.get(key, namespace, name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/**
 * Changes a fresh copy of the object with `change` (false = nothing to do) and writes it,
 * re-reading and retrying on conflicts. Returns the object as stored, undefined when gone.
 */
export function updateWithRetry(store: ObjectStore, key: ResourceKey, namespace: string | undefined, name: string, change: (o: StoredObject) => boolean, options: { preserveStatus?: boolean } = {}): StoredObject | undefined {
  for (let attempt = 0; ; attempt++) {
    const current = getOrNone(store, key, namespace, name);
    if (!current) return undefined;
    const next = structuredClone(current);
    if (!change(next)) return current;
    try {
      return store.update(key, next, { expectedResourceVersion: current.metadata.resourceVersion, ...(options.preserveStatus ? { preserveStatus: true } : {}) });
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= CONFLICT_RETRIES) throw err;
    }
  }
}

/**
 * Writes `status(current)` to the status subresource of the freshest copy (skipped when equal
 * to the stored status), retrying on conflicts. False when the object is gone, was replaced
 * (another uid) or kept changing.
 */
export function updateStatus(store: ObjectStore, key: ResourceKey, object: StoredObject, status: (current: StoredObject) => unknown): boolean {
  const { namespace, name, uid } = object.metadata;
  for (let attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
    const current = getOrNone(store, key, namespace, name);
    if (!current || current.metadata.uid !== uid) return false;
    const next = status(current);
    if (JSON.stringify(next) === JSON.stringify(current.status ?? {})) return true;
    try {
      store.update(key, { ...current, status: next as StoredObject['status'] }, { subresource: 'status', expectedResourceVersion: current.metadata.resourceVersion });
      return true;
    } catch (err) {
      if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) throw err;
    }
  }
  return false;
}

/** A change for updateWithRetry: adds the finalizer unless present or the object is being deleted. */
export const addFinalizer = (finalizer: string) => (o: StoredObject): boolean => {
  const list = o.metadata.finalizers ?? [];
  if (list.includes(finalizer) || o.metadata.deletionTimestamp) return false;
  o.metadata.finalizers = [...list, finalizer];
  return true;
};

/** A change for updateWithRetry: removes the finalizer if present. */
export const removeFinalizer = (finalizer: string) => (o: StoredObject): boolean => {
  const list = o.metadata.finalizers ?? [];
  if (!list.includes(finalizer)) return false;
  const rest = list.filter((f) => f !== finalizer);
  if (rest.length > 0) o.metadata.finalizers = rest;
  else delete o.metadata.finalizers;
  return true;
};
