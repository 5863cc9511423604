// metadata.managedFields: who owns which fields. Decoding is tolerant (an entry that is not a
// well-formed manager is dropped, never a 500); encoding drops managers left with no fields.
import { isObject } from '../../lib/is-object.ts';
import { everyOwnedPath, fieldsV1Has, fromFieldsV1, isCanonicalFieldsV1, toFieldsV1, withOwnedPath } from './fields-v1.ts';
import type { FieldSet } from './field-path.ts';

export type ManagerOperation = 'Apply' | 'Update';

/** One managedFields entry, decoded. */
export interface FieldManager {
  manager: string;
  operation: ManagerOperation;
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
}

/** Entry keys in encodeManagedFields' order; time and subresource may be absent. */
const ENTRY_KEYS = ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1', 'subresource'] as const;
const OPTIONAL_KEYS: ReadonlySet<string> = new Set(['time', 'subresource']);

/** Whether an entry has exactly the keys encodeManagedFields writes, in its order. */
function canonicalKeys(e: Record<string, unknown>): boolean {
  let j = 0;
  for (const key in e) {
    if (!Object.hasOwn(e, key)) return false;
    while (j < ENTRY_KEYS.length && ENTRY_KEYS[j] !== key) if (!OPTIONAL_KEYS.has(ENTRY_KEYS[j++]!)) return false;
    if (j++ === ENTRY_KEYS.length) return false;
  }
  for (; j < ENTRY_KEYS.length; j++) if (!OPTIONAL_KEYS.has(ENTRY_KEYS[j]!)) return false;
  return true;
}

/** Whether re-encoding the decoded entry would give the same JSON (so the entry can be kept). */
const isCanonical = (e: Record<string, unknown>): boolean =>
  canonicalKeys(e) &&
  typeof e.apiVersion === 'string' &&
  e.fieldsType === 'FieldsV1' &&
  (e.time === undefined || (typeof e.time === 'string' && e.time !== '')) &&
  (e.subresource === undefined || (typeof e.subresource === 'string' && e.subresource !== '')) &&
  isCanonicalFieldsV1(e.fieldsV1);

/**
 * A manager decoded from a stored entry that is exactly what encoding it gives back: its fields
 * are decoded only when read, and while it is kept as it is it encodes as that entry. (A copy
 * made with `{ ...m, fields }` is a plain manager: the getter and the entry do not come along.)
 */
class StoredManager implements FieldManager {
  declare readonly manager: string;
  declare readonly operation: ManagerOperation;
  declare readonly apiVersion: string;
  declare readonly time?: string;
  declare readonly subresource?: string;
  readonly #entry: Record<string, unknown>;
  #fields: FieldSet | undefined;
  constructor(head: Omit<FieldManager, 'fields'>, entry: Record<string, unknown>) {
    Object.assign(this, head);
    this.#entry = entry;
  }
  get fields(): FieldSet {
    return (this.#fields ??= fromFieldsV1(this.#entry.fieldsV1));
  }
  /** The stored entry, kept as it is. */
  get entry(): Record<string, unknown> {
    return this.#entry;
  }
}

/** The managers recorded in an object's metadata.managedFields. */
export function decodeManagedFields(entries: unknown): FieldManager[] {
  if (!Array.isArray(entries)) return [];
  const out: FieldManager[] = [];
  for (const e of entries) {
    if (!isObject(e) || typeof e.manager !== 'string' || (e.operation !== 'Apply' && e.operation !== 'Update')) continue;
    const head: Omit<FieldManager, 'fields'> = {
      manager: e.manager,
      operation: e.operation,
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      ...(typeof e.time === 'string' ? { time: e.time } : {}),
      ...(typeof e.subresource === 'string' && e.subresource !== '' ? { subresource: e.subresource } : {}),
    };
    out.push(isCanonical(e) ? new StoredManager(head, e) : { ...head, fields: fromFieldsV1(e.fieldsV1) });
  }
  return out;
}

/** Whether a manager owns any field (a kept stored entry always does). */
export const hasFields = (m: FieldManager): boolean => m instanceof StoredManager || m.fields.size > 0;

/** Whether a manager owns any of `paths` (decoding its fields only when they are not kept as stored). */
export function ownsAny(m: FieldManager, paths: ReadonlyArray<readonly string[]>, keys: ReadonlySet<string>): boolean {
  if (m instanceof StoredManager) return paths.some((p) => fieldsV1Has(m.entry.fieldsV1, p));
  for (const k of keys) if (m.fields.has(k)) return true;
  return false;
}

/**
 * The writer's entry after an Update that adds `added` (paths the new object sets) to what it
 * owns, built on its stored FieldsV1 without decoding it; `m` itself when that changes nothing
 * (as withEntry keeps it). Undefined when the entry is not kept as stored or `keeps` refuses one
 * of its paths (a field the new object no longer sets): then the caller works on sets.
 */
export function storedEntryWith(m: FieldManager, added: ReadonlyArray<readonly string[]>, keeps: (path: string[]) => boolean, update: Omit<FieldManager, 'fields'>): FieldManager | undefined {
  if (!(m instanceof StoredManager)) return undefined;
  const stored = m.entry.fieldsV1 as Record<string, unknown>;
  if (!everyOwnedPath(stored, keeps)) return undefined;
  const fresh = added.filter((p) => !fieldsV1Has(stored, p));
  if (fresh.length === 0 && m.apiVersion === update.apiVersion) return m;
  const fieldsV1 = fresh.reduce(withOwnedPath, stored);
  return new StoredManager(update, {
    manager: update.manager,
    operation: update.operation,
    apiVersion: update.apiVersion,
    ...(update.time ? { time: update.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1,
    ...(update.subresource ? { subresource: update.subresource } : {}),
  });
}

/** Managers back to managedFields entries, in kube-apiserver's field order. */
export function encodeManagedFields(managers: readonly FieldManager[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const m of managers) {
    // A kept stored entry is canonical, so its set is not empty and encodes to itself.
    if (m instanceof StoredManager) out.push(m.entry);
    else if (m.fields.size > 0) out.push(encodeEntry(m));
  }
  return out;
}

const encodeEntry = (m: FieldManager): Record<string, unknown> => ({
  manager: m.manager,
  operation: m.operation,
  apiVersion: m.apiVersion,
  ...(m.time ? { time: m.time } : {}),
  fieldsType: 'FieldsV1',
  fieldsV1: toFieldsV1(m.fields),
  ...(m.subresource ? { subresource: m.subresource } : {}),
});

/** Whether two managers are the same entry (name, operation, subresource). */
export const sameEntry = (a: Pick<FieldManager, 'manager' | 'operation' | 'subresource'>, b: Pick<FieldManager, 'manager' | 'operation' | 'subresource'>): boolean =>
  a.manager === b.manager && a.operation === b.operation && (a.subresource ?? '') === (b.subresource ?? '');

const equalSets = (a: FieldSet, b: FieldSet): boolean => a.size === b.size && [...a].every((k) => b.has(k));

/** Sets one manager's entry; the time moves only when its fields or apiVersion changed (no-op writes stay no-ops). */
export function withEntry(managers: readonly FieldManager[], entry: FieldManager): FieldManager[] {
  const previous = managers.find((m) => sameEntry(m, entry));
  const unchanged = previous && previous.apiVersion === entry.apiVersion && equalSets(previous.fields, entry.fields);
  const next = unchanged ? previous : entry;
  return previous ? managers.map((m) => (m === previous ? next : m)) : [...managers, next];
}
