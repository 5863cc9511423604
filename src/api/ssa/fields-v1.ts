// FieldsV1, the JSON form of a FieldSet in metadata.managedFields: a tree of path elements whose
// leaves are `{}`, with `".": {}` marking a node that is owned itself and has owned children.
import { isObject, setOwn } from '../../lib/is-object.ts';
import { joinPath, splitPath, type FieldSet } from './field-path.ts';

type Tree = { [element: string]: Tree };


/**
 * A FieldSet as FieldsV1, built in one pass: NUL sorts before every other character, so sorted
 * keys list each node's children in order and a path before the paths below it (an owned node
 * gets its `.` before its first child, as the API server writes it).
 */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const root: Tree = {};
  const owned = new Set<Tree>();
  for (const key of [...set].sort()) {
    let node = root;
    for (const element of splitPath(key)) {
      let child = Object.hasOwn(node, element) ? node[element] : undefined;
      if (child === undefined) {
        if (owned.has(node) && isEmpty(node)) node['.'] = {};
        setOwn(node, element, (child = {}));
      }
      node = child;
    }
    owned.add(node);
  }
  return root;
}

/** FieldsV1 back to a FieldSet; anything that is not an object tree is ignored. */
export function fromFieldsV1(fields: unknown): FieldSet {
  const set: FieldSet = new Set();
  collect(fields, [], set);
  return set;
}

function collect(node: unknown, path: string[], set: FieldSet): void {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
  const entries = Object.entries(node);
  if (entries.length === 0 && path.length > 0) set.add(joinPath(path));
  for (const [element, child] of entries) {
    if (element === '.') set.add(joinPath(path));
    else collect(child, [...path, element], set);
  }
}

/**
 * Whether `fields` is exactly what toFieldsV1 gives for the set it decodes to, and that set is
 * not empty: then an entry that keeps its set may keep its stored FieldsV1 as it is.
 */
export function isCanonicalFieldsV1(fields: unknown): boolean {
  return isObject(fields) && canonical(fields, true);
}

function canonical(node: Record<string, unknown>, root: boolean): boolean {
  let previous: string | undefined;
  let children = 0;
  let marked = false;
  for (const key in node) {
    if (!Object.hasOwn(node, key)) return false;
    const child = node[key];
    if (!isObject(child)) return false;
    if (key === '.') {
      // The marker comes first, is empty, and only on a node with children.
      if (previous !== undefined || !isEmpty(child)) return false;
      marked = true;
      previous = key;
      continue;
    }
    if (previous !== undefined && previous !== '.' && !(previous < key)) return false;
    previous = key;
    children++;
    if (!canonical(child, false)) return false;
  }
  return marked ? children > 0 : root ? children > 0 : true;
}

function isEmpty(node: Record<string, unknown>): boolean {
  for (const key in node) if (Object.hasOwn(node, key)) return false;
  return true;
}

/** Whether the set FieldsV1 `fields` decodes to holds `path` (fromFieldsV1(fields).has(joinPath(path)), without decoding). */
export function fieldsV1Has(fields: unknown, path: readonly string[]): boolean {
  let node: unknown = fields;
  for (const element of path) {
    if (!isObject(node) || element === '.' || !Object.hasOwn(node, element)) return false;
    node = node[element];
  }
  if (!isObject(node)) return false;
  if (Object.hasOwn(node, '.')) return true;
  return path.length > 0 && isEmpty(node);
}

/** Whether `keep` holds for every path a canonical FieldsV1 owns (the path array is reused: copy it to keep it). */
export function everyOwnedPath(fields: Record<string, unknown>, keep: (path: string[]) => boolean): boolean {
  return everyOwned(fields, [], keep);
}

function everyOwned(node: Record<string, unknown>, path: string[], keep: (path: string[]) => boolean): boolean {
  let children = 0;
  for (const key in node) {
    if (key === '.') {
      if (!keep(path)) return false;
      continue;
    }
    children++;
    path.push(key);
    const ok = everyOwned(node[key] as Record<string, unknown>, path, keep);
    path.pop();
    if (!ok) return false;
  }
  return children > 0 || path.length === 0 || keep(path);
}

/**
 * A canonical FieldsV1 that also owns `path` (which it does not own yet), as toFieldsV1 would
 * write the larger set; nodes off the path are shared with `fields`, which is left as it is.
 */
export function withOwnedPath(fields: Record<string, unknown>, path: readonly string[]): Record<string, unknown> {
  return insert(fields, path, 0);
}

function insert(node: Record<string, unknown> | undefined, path: readonly string[], at: number): Record<string, unknown> {
  if (node === undefined) return at === path.length ? {} : { [path[at]!]: insert(undefined, path, at + 1) };
  // An existing node not owned yet has children: it gets its `.` first.
  if (at === path.length) return { '.': {}, ...node };
  const element = path[at]!;
  const child = insert(Object.hasOwn(node, element) ? (node[element] as Record<string, unknown>) : undefined, path, at + 1);
  const out: Record<string, unknown> = {};
  // An owned leaf that gets a child is marked owned with `.`.
  if (at > 0 && isEmpty(node)) out['.'] = {};
  let placed = false;
  for (const key in node) {
    if (!placed && key !== '.' && element <= key) {
      setOwn(out, element, child);
      placed = true;
      if (key === element) continue;
    }
    setOwn(out, key, node[key]);
  }
  if (!placed) setOwn(out, element, child);
  return out;
}
