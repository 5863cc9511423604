// The metadata rules of the store, as pure functions: what create fills in, what an update
// may change, when generation moves, and what a deletion with finalizers writes.
import { isDeepStrictEqual } from 'node:util';
import { randomInt } from 'node:crypto';
import type { NewObject, ObjectMeta, StoredObject, UpdateOptions } from './types.ts';

/** RFC 3339 with second precision, as Kubernetes writes timestamps (`2024-05-01T10:00:00Z`). */
export function formatTimestamp(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `generateName` plus 5 random [a-z0-9] characters. */
export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return prefix + suffix;
}

/** A deep copy with undefined members dropped: exactly what will be stored and read back. */
export function normalize<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The namespace column for an object ('' when cluster-scoped). */
export function namespaceOf(meta: { namespace?: string | undefined }): string {
  return meta.namespace ?? '';
}

/** The new object as created: name resolved, uid, timestamp, generation 1 and resourceVersion. */
export function stampCreated(object: NewObject, facts: { name: string; uid: string; resourceVersion: number; now: Date }): StoredObject {
  const copy = normalize(object);
  const metadata: ObjectMeta = {
    ...copy.metadata,
    name: facts.name,
    uid: facts.uid,
    resourceVersion: String(facts.resourceVersion),
    generation: 1,
    creationTimestamp: formatTimestamp(facts.now),
  };
  if (!metadata.namespace) delete metadata.namespace;
  // A new object cannot arrive already deleted.
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
  return { ...copy, metadata };
}

/** Whether anything other than metadata and status differs (the rule for bumping generation). */
export function specChanged(a: StoredObject, b: StoredObject): boolean {
  const strip = ({ metadata: _m, status: _s, ...rest }: StoredObject) => rest;
  return !isDeepStrictEqual(strip(a), strip(b));
}

/**
 * The object an update would store (with the old resourceVersion still in it): identity and
 * deletion fields come from the stored object; `subresource: 'status'` takes only `.status`
 * from the incoming object; `preserveStatus` keeps the stored `.status` on a normal update.
 */
export function applyUpdate(stored: StoredObject, incoming: StoredObject, options: UpdateOptions): StoredObject {
  if (options.subresource === 'status') {
    const next = normalize(stored);
    if (incoming.status === undefined) delete next.status;
    else next.status = normalize(incoming.status);
    return next;
  }
  const next = normalize(incoming);
  const kept = stored.metadata;
  const metadata: ObjectMeta = {
    ...next.metadata,
    name: kept.name,
    uid: kept.uid,
    resourceVersion: kept.resourceVersion,
    generation: kept.generation,
    creationTimestamp: kept.creationTimestamp,
  };
  if (kept.namespace) metadata.namespace = kept.namespace;
  else delete metadata.namespace;
  if (kept.deletionTimestamp) metadata.deletionTimestamp = kept.deletionTimestamp;
  else delete metadata.deletionTimestamp;
  if (kept.deletionGracePeriodSeconds !== undefined) metadata.deletionGracePeriodSeconds = kept.deletionGracePeriodSeconds;
  else delete metadata.deletionGracePeriodSeconds;
  next.metadata = metadata;
  if (options.preserveStatus) {
    if (stored.status === undefined) delete next.status;
    else next.status = normalize(stored.status);
  }
  if (specChanged(stored, next)) metadata.generation = kept.generation + 1;
  return next;
}

/** The object marked for deletion: deletionTimestamp now, the grace period (0 unless given), generation bumped (as Kubernetes does). */
export function markDeleting(stored: StoredObject, now: Date, gracePeriodSeconds = 0): StoredObject {
  const next = normalize(stored);
  next.metadata.deletionTimestamp = formatTimestamp(now);
  next.metadata.deletionGracePeriodSeconds = gracePeriodSeconds;
  next.metadata.generation = stored.metadata.generation + 1;
  return next;
}

/** Whether a written object is finished: being deleted and no finalizer left. */
export function readyToRemove(object: StoredObject): boolean {
  return Boolean(object.metadata.deletionTimestamp) && (object.metadata.finalizers?.length ?? 0) === 0;
}

/** The object with a new resourceVersion. */
export function withResourceVersion(object: StoredObject, resourceVersion: number): StoredObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(resourceVersion) } };
}
