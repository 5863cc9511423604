// metadata.managedFields: who owns which fields. Decoding is tolerant (an entry that is not a
// well-formed manager is dropped, never a 500); encoding drops managers left with no fields.
import { fieldsV1Has, fromFieldsV1, isCanonicalFieldsV1, toFieldsV1 } from './fields-v1.ts';
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Stored entries a decoded manager came from when they are exactly what encoding it gives back:
 * such a manager's fields are decoded only when read, and an unchanged one is encoded as its entry.
 */
const storedEntries = new WeakMap<FieldManager, Record<string, unknown>>();

/** The keys of an entry as encodeManagedFields writes them, in its order. */
const canonicalKeys = (e: Record<string, unknown>): boolean => {
  const expected = ['manager', 'operation', 'apiVersion', ...(e.time !== undefined ? ['time'] : []), 'fieldsType', 'fieldsV1', ...(e.subresource !== undefined ? ['subresource'] : [])];
  let i = 0;
  for (const key in e) if (!Object.hasOwn(e, key) || key !== expected[i++]) return false;
  return i === expected.length;
};

/** Whether re-encoding the decoded entry would give the same JSON (so the entry can be kept). */
const isCanonical = (e: Record<string, unknown>): boolean =>
  canonicalKeys(e) &&
  typeof e.apiVersion === 'string' &&
  e.fieldsType === 'FieldsV1' &&
  (e.time === undefined || (typeof e.time === 'string' && e.time !== '')) &&
  (e.subresource === undefined || (typeof e.subresource === 'string' && e.subresource !== '')) &&
  isCanonicalFieldsV1(e.fieldsV1);

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
    if (!isCanonical(e)) {
      out.push({ ...head, fields: fromFieldsV1(e.fieldsV1) });
      continue;
    }
    let fields: FieldSet | undefined;
    const m: FieldManager = {
      ...head,
      get fields() {
        return (fields ??= fromFieldsV1(e.fieldsV1));
      },
    };
    storedEntries.set(m, e);
    out.push(m);
  }
  return out;
}

/** Whether a manager owns any field (a kept stored entry always does). */
export const hasFields = (m: FieldManager): boolean => storedEntries.has(m) || m.fields.size > 0;

/** Whether a manager owns any of `paths` (decoding its fields only when they are not kept as stored). */
export function ownsAny(m: FieldManager, paths: ReadonlyArray<readonly string[]>, keys: ReadonlySet<string>): boolean {
  const stored = storedEntries.get(m);
  if (!stored) {
    for (const k of keys) if (m.fields.has(k)) return true;
    return false;
  }
  return paths.some((p) => fieldsV1Has(stored.fieldsV1, p));
}

/** Managers back to managedFields entries, in kube-apiserver's field order. */
export function encodeManagedFields(managers: readonly FieldManager[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const m of managers) {
    // A kept stored entry is canonical, so its set is not empty and encodes to itself.
    const stored = storedEntries.get(m);
    if (stored) out.push(stored);
    else if (hasFields(m)) out.push(encodeEntry(m));
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
