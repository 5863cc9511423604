// Server-side apply and update tracking as pure functions over (live object, managers):
// which fields an applier owns, which conflict with other managers, the merged object, and the
// ownership an ordinary write (Update) takes over the fields it changed.
import type { Schema } from '../../resources/kind.ts';
import { isObject, ownValue, setOwn } from '../../lib/is-object.ts';
import { atomicMap, childSchema, fieldsOf, itemKey, listTypeOf, pathString, removeAt, setsPath, splitPath, valueAt, type FieldSet } from './field-path.ts';
import { hasFields, ownsAny, sameEntry, storedEntryWith, withEntry, type FieldManager } from './managed-fields.ts';

/** A field another manager owns with a different value than the apply sets. */
export interface FieldConflict {
  manager: FieldManager;
  path: string[];
}

/** An apply refused for conflicts (409); `message` is worded as kube-apiserver words it. */
export class ApplyConflictError extends Error {
  readonly conflicts: FieldConflict[];
  constructor(conflicts: FieldConflict[]) {
    super(conflictMessage(conflicts));
    this.name = 'ApplyConflictError';
    this.conflicts = conflicts;
  }
}

/** `"name" using v1 at <time>` for an Update manager, `"name"` for an applier (apimachinery's printManager). */
export function printManager(m: FieldManager): string {
  let out = JSON.stringify(m.manager);
  if (m.subresource) out += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') out += m.time ? ` using ${m.apiVersion} at ${m.time}` : ` using ${m.apiVersion}`;
  return out;
}

function conflictMessage(conflicts: FieldConflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${printManager(c.manager)}: ${pathString(c.path)}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const name = printManager(c.manager);
    byManager.set(name, [...(byManager.get(name) ?? []), pathString(c.path)]);
  }
  const lines: string[] = [];
  for (const name of [...byManager.keys()].sort()) lines.push(`conflicts with ${name}:`, ...byManager.get(name)!.map((p) => `- ${p}`));
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

const same = (a: unknown, b: unknown): boolean => deepEqual(a, b);
/** JSON equality, key order ignored, undefined members as absent (without listing keys: it runs over whole specs). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (!isObject(a) || !isObject(b)) return false;
  let defined = 0;
  for (const k in a) {
    if (!Object.hasOwn(a, k) || a[k] === undefined) continue;
    defined++;
    if (b[k] === undefined || !deepEqual(a[k], b[k])) return false;
  }
  for (const k in b) if (Object.hasOwn(b, k) && b[k] !== undefined) defined--;
  return defined === 0;
}

/** Merges an applied configuration into `target` (in place): structs field by field, list-maps by key, sets by member, the rest replaced. */
export function mergeInto(target: Record<string, unknown>, applied: Record<string, unknown>, schema: Schema | undefined): void {
  for (const [k, v] of Object.entries(applied)) {
    const cs = childSchema(schema, k);
    // Own members only: an applied `__proto__` is a field like any other, never Object.prototype.
    const live = ownValue(target, k);
    if (isObject(v) && isObject(live) && !atomicMap(cs)) {
      mergeInto(live, v, cs);
      continue;
    }
    if (Array.isArray(v) && Array.isArray(live)) {
      const list = listTypeOf(cs);
      if (list.type === 'map') {
        for (const item of v) {
          const existing = live.find((l) => itemKey(l, list.keys) === itemKey(item, list.keys));
          if (isObject(existing) && isObject(item)) mergeInto(existing, item, cs?.items);
          else live.push(structuredClone(item));
        }
        continue;
      }
      if (list.type === 'set') {
        for (const item of v) if (!live.some((l) => same(l, item))) live.push(structuredClone(item));
        continue;
      }
    }
    setOwn(target, k, structuredClone(v));
  }
}

export interface ApplyInput {
  /** The stored object, undefined when apply creates it. */
  live: Record<string, unknown> | undefined;
  applied: Record<string, unknown>;
  schema: Schema;
  managers: readonly FieldManager[];
  manager: string;
  apiVersion: string;
  force: boolean;
  time: string;
  /** Paths never tracked (apiVersion, kind, server-set metadata, status on the main resource). */
  tracked: (path: string[]) => boolean;
  /** Conflicts on these paths are forced (what client-side apply's last-applied configuration held, for kubectl's upgrade). */
  allowed?: FieldSet;
}

const trackedSet = (set: FieldSet, tracked: (path: string[]) => boolean): FieldSet => new Set([...set].filter((k) => tracked(splitPath(k))));

/** Applies `applied` as `manager`: ApplyConflictError unless forced; the merged object and the new managers. */
export function serverSideApply(input: ApplyInput): { object: Record<string, unknown>; managers: FieldManager[] } {
  const self = { manager: input.manager, operation: 'Apply' as const };
  const owned = trackedSet(fieldsOf(input.applied, input.schema), input.tracked);
  const previous = input.managers.find((m) => sameEntry(m, self));
  // A conflict is a change: an applied empty struct merged into a filled one changes nothing.
  const merged: Record<string, unknown> = structuredClone(input.live ?? {});
  mergeInto(merged, input.applied, input.schema);
  const conflicts: FieldConflict[] = [];
  for (const key of owned) {
    const path = splitPath(key);
    // A list-map item is shared by whoever owns its fields; only values conflict.
    if (path[path.length - 1]!.startsWith('k:')) continue;
    for (const other of input.managers) {
      if (other.manager === input.manager || !other.fields.has(key)) continue;
      if (!same(valueAt(input.live, path), valueAt(merged, path))) conflicts.push({ manager: other, path });
    }
  }
  const refused = conflicts.filter((c) => !input.allowed?.has(c.path.join('\u0000')));
  if (refused.length > 0 && !input.force) throw new ApplyConflictError(refused);
  const taken = new Set(conflicts.map((c) => c.path.join('\u0000')));
  let managers = input.managers.map((m) => (m.manager === input.manager ? m : { ...m, fields: new Set([...m.fields].filter((k) => !taken.has(k))) }));
  // Fields this applier set before and no longer sets are removed, unless someone else owns them too.
  const object: Record<string, unknown> = structuredClone(input.live ?? {});
  const others = managers.filter((m) => !sameEntry(m, self));
  // A struct another manager owns a field inside stays too (an empty struct one applier owned
  // must not take others' fields with it).
  const ownedBelow = (k: string): boolean => others.some((m) => [...m.fields].some((f) => f.startsWith(`${k}\u0000`)));
  const dropped = [...(previous?.fields ?? [])].filter((k) => !owned.has(k) && !others.some((m) => m.fields.has(k)) && !ownedBelow(k));
  // Parents first: a list-map item is found by its key fields, so it goes before they do.
  for (const key of dropped.sort()) removeAt(object, splitPath(key));
  mergeInto(object, input.applied, input.schema);
  managers = withEntry(managers, { ...self, apiVersion: input.apiVersion, time: input.time, fields: owned });
  return { object, managers: managers.filter((m) => m.fields.size > 0) };
}

export interface UpdateInput {
  old: Record<string, unknown> | undefined;
  next: Record<string, unknown>;
  schema: Schema;
  managers: readonly FieldManager[];
  manager: string;
  apiVersion: string;
  time: string;
  subresource?: string;
  /** Whether a path is tracked, decided by its first two elements (a path under an untracked one is untracked). */
  tracked: (path: string[]) => boolean;
}

/**
 * The tracked paths under the top-level fields `tops` of `object`: fieldsOf's walk of those
 * fields, without the subtrees whose first two path elements are untracked (metadata's
 * managedFields and server-set fields, which the filter would drop anyway).
 */
function trackedFieldsUnder(object: Record<string, unknown>, tops: Iterable<string>, schema: Schema, tracked: (path: string[]) => boolean): FieldSet {
  const out: FieldSet = new Set();
  for (const top of tops) {
    const value = object[top];
    if (value === undefined) continue;
    const at = `f:${top}`;
    const topSchema = childSchema(schema, top);
    if (!isObject(value) || atomicMap(topSchema)) {
      for (const k of fieldsOf(value, topSchema, [at])) if (tracked(splitPath(k))) out.add(k);
      continue;
    }
    let defined = 0;
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      defined++;
      // Tracking is decided by a path's first two elements: every path under a tracked one is.
      const path = [at, `f:${k}`];
      if (tracked(path)) fieldsOf(v, childSchema(topSchema, k), path, out);
    }
    if (defined === 0 && tracked([at])) out.add(at);
  }
  return out;
}

/** An ordinary write (create, update, patch) as `manager`: it takes the fields it changed from everyone else. */
export function trackUpdate(input: UpdateInput): FieldManager[] {
  // A top-level field equal before and after (the spec of a label patch) changed no path under
  // it: one comparison of the field, and its paths are listed only if an owner's set needs them.
  const old = isObject(input.old) ? input.old : undefined;
  const changedTops = new Set<string>();
  for (const top of new Set([...Object.keys(old ?? {}), ...Object.keys(input.next)])) {
    if (!old || !deepEqual(old[top], input.next[top])) changedTops.add(top);
  }
  const before = old ? trackedFieldsUnder(old, changedTops, input.schema, input.tracked) : new Set<string>();
  const after = trackedFieldsUnder(input.next, changedTops, input.schema, input.tracked);
  const changed = [...after].filter((k) => {
    if (!before.has(k)) return true;
    const path = splitPath(k);
    return !same(valueAt(old, path), valueAt(input.next, path));
  });
  const removed = [...before].filter((k) => !after.has(k));
  if (changed.length === 0 && removed.length === 0) return [...input.managers];
  // Whether `next` sets a path: followed in `next` rather than listing every field it sets.
  const inNext = (k: string): boolean => {
    const path = splitPath(k);
    return input.tracked(path) && setsPath(input.next, input.schema, path);
  };
  const gone = new Set([...changed, ...removed]);
  const gonePaths = [...gone].map(splitPath);
  const self = { manager: input.manager, operation: 'Update' as const, ...(input.subresource ? { subresource: input.subresource } : {}) };
  // Managers that own none of the gone paths are kept as they are (their stored entry too).
  let managers = input.managers.map((m) => (sameEntry(m, self) || !ownsAny(m, gonePaths, gone) ? m : { ...m, fields: new Set([...m.fields].filter((k) => !gone.has(k))) }));
  const own = managers.find((m) => sameEntry(m, self));
  const update = { ...self, apiVersion: input.apiVersion, time: input.time };
  // The changed paths are all set by `next`; the writer keeps the rest of what it owns only where `next` sets it.
  const kept = own && storedEntryWith(own, changed.map(splitPath), (path) => input.tracked(path) && setsPath(input.next, input.schema, path), update);
  if (kept) return managers.map((m) => (m === own ? kept : m)).filter(hasFields);
  const fields = new Set([...(own?.fields ?? []), ...changed].filter(inNext));
  managers = withEntry(managers, { ...update, fields });
  return managers.filter(hasFields);
}
