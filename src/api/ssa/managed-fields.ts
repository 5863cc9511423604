// metadata.managedFields: who owns which fields. Decoding is tolerant (an entry that is not a
// well-formed manager is dropped, never a 500); encoding drops managers left with no fields.
import { fromFieldsV1, toFieldsV1 } from './fields-v1.ts';
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

/** The managers recorded in an object's metadata.managedFields. */
export function decodeManagedFields(entries: unknown): FieldManager[] {
  if (!Array.isArray(entries)) return [];
  const out: FieldManager[] = [];
  for (const e of entries) {
    if (!isObject(e) || typeof e.manager !== 'string' || (e.operation !== 'Apply' && e.operation !== 'Update')) continue;
    out.push({
      manager: e.manager,
      operation: e.operation,
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      ...(typeof e.time === 'string' ? { time: e.time } : {}),
      ...(typeof e.subresource === 'string' && e.subresource !== '' ? { subresource: e.subresource } : {}),
      fields: fromFieldsV1(e.fieldsV1),
    });
  }
  return out;
}

/** Managers back to managedFields entries, in kube-apiserver's field order. */
export function encodeManagedFields(managers: readonly FieldManager[]): Record<string, unknown>[] {
  return managers
    .filter((m) => m.fields.size > 0)
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      ...(m.time ? { time: m.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(m.fields),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    }));
}

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
