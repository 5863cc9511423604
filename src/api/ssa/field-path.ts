// Field paths as server-side apply writes them (structured-merge-diff's PathElements): `f:name`
// for a field, `k:{"name":"a"}` for a list-map item, `v:"x"` for a set member, `i:0` for a
// position. A FieldSet is a set of paths, held as strings joined with NUL.
import { isObject } from '../../lib/is-object.ts';
import type { Schema } from '../../resources/kind.ts';

export type FieldSet = Set<string>;

const SEP = '\u0000';

/** A path's string key in a FieldSet. */
export const joinPath = (path: readonly string[]): string => path.join(SEP);

/** A FieldSet key back to its elements. */
export const splitPath = (key: string): string[] => (key === '' ? [] : key.split(SEP));

/** The schema of a field of an object schema (properties, else additionalProperties). */
export function childSchema(schema: Schema | undefined, field: string): Schema | undefined {
  if (!schema) return undefined;
  const own = schema.properties && Object.hasOwn(schema.properties, field) ? schema.properties[field] : undefined;
  if (own) return own;
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
}

/** How a list merges: the schema's x-kubernetes-list-type, atomic when absent (as for CRDs). */
export function listTypeOf(schema: Schema | undefined): { type: 'atomic' } | { type: 'set' } | { type: 'map'; keys: string[] } {
  const type = schema?.['x-kubernetes-list-type'];
  if (type === 'set') return { type: 'set' };
  const keys = schema?.['x-kubernetes-list-map-keys'];
  if (type === 'map' && Array.isArray(keys) && keys.length > 0) return { type: 'map', keys };
  return { type: 'atomic' };
}

/** Whether a map is replaced whole (x-kubernetes-map-type: atomic). */
export const atomicMap = (schema: Schema | undefined): boolean => schema?.['x-kubernetes-map-type'] === 'atomic';

/** The `k:` element of a list-map item (its key fields, sorted, as JSON). */
export function itemKey(item: unknown, keys: readonly string[]): string {
  const picked: Record<string, unknown> = {};
  for (const k of [...keys].sort()) if (isObject(item) && item[k] !== undefined) picked[k] = item[k];
  return `k:${JSON.stringify(picked)}`;
}

/** Every path `value` sets: leaves, atomic lists and maps, and list-map items (with their fields). */
export function fieldsOf(value: unknown, schema: Schema | undefined, prefix: string[] = [], out: FieldSet = new Set()): FieldSet {
  if (isObject(value) && !atomicMap(schema)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0 && prefix.length > 0) out.add(joinPath(prefix));
    for (const [k, v] of entries) fieldsOf(v, childSchema(schema, k), [...prefix, `f:${k}`], out);
    return out;
  }
  if (Array.isArray(value)) {
    const list = listTypeOf(schema);
    if (list.type === 'map') {
      for (const item of value) {
        const at = [...prefix, itemKey(item, list.keys)];
        out.add(joinPath(at));
        fieldsOf(item, schema?.items, at, out);
      }
      return out;
    }
    if (list.type === 'set') {
      for (const item of value) out.add(joinPath([...prefix, `v:${JSON.stringify(item)}`]));
      return out;
    }
  }
  if (prefix.length > 0) out.add(joinPath(prefix));
  return out;
}

/**
 * Whether fieldsOf(value, schema) holds `path`, found by following the path rather than listing
 * every field (the same rules: empty structs, list-map items and their fields, set members, leaves).
 */
export function setsPath(value: unknown, schema: Schema | undefined, path: readonly string[], at = 0): boolean {
  if (isObject(value) && !atomicMap(schema)) {
    if (at === path.length) {
      if (at === 0) return false;
      for (const k in value) if (Object.hasOwn(value, k) && value[k] !== undefined) return false;
      return true;
    }
    const element = path[at]!;
    if (!element.startsWith('f:')) return false;
    const k = element.slice(2);
    if (!Object.hasOwn(value, k) || value[k] === undefined) return false;
    return setsPath(value[k], childSchema(schema, k), path, at + 1);
  }
  if (Array.isArray(value)) {
    const list = listTypeOf(schema);
    if (list.type === 'map') {
      if (at === path.length) return false;
      const element = path[at]!;
      if (!element.startsWith('k:')) return false;
      for (const item of value) {
        if (itemKey(item, list.keys) !== element) continue;
        if (at + 1 === path.length || setsPath(item, schema?.items, path, at + 1)) return true;
      }
      return false;
    }
    if (list.type === 'set') {
      if (at + 1 !== path.length) return false;
      const element = path[at]!;
      return value.some((item) => `v:${JSON.stringify(item)}` === element);
    }
  }
  return at > 0 && at === path.length;
}

/** The value a path names in `object`, or undefined. */
export function valueAt(object: unknown, path: readonly string[]): unknown {
  let at: unknown = object;
  for (const element of path) {
    at = step(at, element);
    if (at === undefined) return undefined;
  }
  return at;
}

function step(at: unknown, element: string): unknown {
  const kind = element.slice(0, 2);
  const rest = element.slice(2);
  if (kind === 'f:') return isObject(at) ? at[rest] : undefined;
  if (!Array.isArray(at)) return undefined;
  if (kind === 'i:') return at[Number(rest)];
  if (kind === 'v:') return at.find((item) => JSON.stringify(item) === rest);
  if (kind === 'k:') {
    const key = JSON.parse(rest) as Record<string, unknown>;
    return at.find((item) => isObject(item) && Object.entries(key).every(([k, v]) => JSON.stringify(item[k]) === JSON.stringify(v)));
  }
  return undefined;
}

/** Removes what a path names from `object` (in place); nothing when it is absent. */
export function removeAt(object: unknown, path: readonly string[]): void {
  if (path.length === 0) return;
  const parent = valueAt(object, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (last.startsWith('f:')) {
    if (isObject(parent)) delete parent[last.slice(2)];
    return;
  }
  if (!Array.isArray(parent)) return;
  const target = step(parent, last);
  const index = parent.indexOf(target);
  if (target !== undefined && index >= 0) parent.splice(index, 1);
}

/** A path as the API server prints it: `.spec.domain.devices.interfaces[name="pxe"].macAddress`. */
export function pathString(path: readonly string[]): string {
  let out = '';
  for (const element of path) {
    const rest = element.slice(2);
    if (element.startsWith('f:')) out += `.${rest}`;
    else if (element.startsWith('i:')) out += `[${rest}]`;
    else if (element.startsWith('v:')) out += `[=${rest}]`;
    else if (element.startsWith('k:')) {
      const key = JSON.parse(rest) as Record<string, unknown>;
      out += `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    }
  }
  return out;
}
