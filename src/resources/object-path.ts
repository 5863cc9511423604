// Tiny helpers for walking and building plain JSON objects in defaulting and admission.

export type Obj = Record<string, unknown>;

import { isObject as isObj } from '../lib/is-object.ts';

export { isObj };

/** The object at `key`, or undefined when absent or not an object. */
export function objAt(o: Obj | undefined, key: string): Obj | undefined {
  const v = o?.[key];
  return isObj(v) ? v : undefined;
}

/** The objects in the list at `key` (non-objects become empty objects so indexes stay aligned). */
export function listAt(o: Obj | undefined, key: string): Obj[] {
  const v = o?.[key];
  return Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : [];
}

/** The object at `key`, created (and stored) when missing. */
export function ensureObj(o: Obj, key: string): Obj {
  const v = o[key];
  if (isObj(v)) return v;
  const created: Obj = {};
  o[key] = created;
  return created;
}

/** A deep copy of JSON data. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Deep equality of JSON data (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}
