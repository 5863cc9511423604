// kubectl apply's client-side patch for kinds without strategic merge: a JSON merge patch
// computed three-way (apimachinery jsonmergepatch.CreateThreeWayJSONMergePatch) — additions
// and changes from live → new, deletions from last-applied → new.

import { isObject, ownValue, setOwn } from '../../lib/is-object.ts';

type Obj = Record<string, unknown>;

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * RFC 7386 merge patch turning `original` into `modified` (evanphx/json-patch CreateMergePatch).
 * Own members only, here and below: a key named `__proto__` or `constructor` (in a manifest, or
 * in what a server sent) is a field, never a prototype.
 */
export function createMergePatch(original: Obj, modified: Obj): Obj {
  const patch: Obj = {};
  for (const [key, value] of Object.entries(modified)) {
    if (!Object.hasOwn(original, key)) {
      setOwn(patch, key, value);
      continue;
    }
    const old = original[key];
    if (isObject(old) && isObject(value)) {
      const inner = createMergePatch(old, value);
      if (Object.keys(inner).length > 0) setOwn(patch, key, inner);
    } else if (!deepEqual(old, value)) {
      setOwn(patch, key, value);
    }
  }
  for (const key of Object.keys(original)) if (!Object.hasOwn(modified, key)) setOwn(patch, key, null);
  return patch;
}

/** Keeps only the null (deletion) entries, or only the others; empty maps dropped. */
export function keepOrDeleteNull(patch: Obj, keepNull: boolean): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      if (keepNull) setOwn(out, key, null);
    } else if (isObject(value)) {
      const inner = keepOrDeleteNull(value, keepNull);
      if (Object.keys(inner).length > 0) setOwn(out, key, inner);
      else if (!keepNull && Object.keys(value).length === 0) setOwn(out, key, value);
    } else if (!keepNull) {
      setOwn(out, key, value);
    }
  }
  return out;
}

/** Applies a merge patch (RFC 7386). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Obj = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else setOwn(out, key, applyMergePatch(ownValue(out, key), value));
  }
  return out;
}

/** The patch `kubectl apply` sends: `{}` when nothing would change. */
export function threeWayMergePatch(original: Obj | undefined, modified: Obj, current: Obj): Obj {
  const addAndChange = keepOrDeleteNull(createMergePatch(current, modified), false);
  const deletions = keepOrDeleteNull(createMergePatch(original ?? {}, modified), true);
  return applyMergePatch(deletions, addAndChange) as Obj;
}
