// FieldsV1, the JSON form of a FieldSet in metadata.managedFields: a tree of path elements whose
// leaves are `{}`, with `".": {}` marking a node that is owned itself and has owned children.
import { joinPath, splitPath, type FieldSet } from './field-path.ts';

type Tree = { [element: string]: Tree };

/** A FieldSet as FieldsV1. */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const root: Tree = {};
  const owned = new Set<Tree>();
  for (const key of [...set].sort()) {
    let node = root;
    for (const element of splitPath(key)) node = node[element] ??= {};
    owned.add(node);
  }
  const render = (node: Tree): Tree => {
    const out: Tree = {};
    const children = Object.keys(node).sort();
    if (owned.has(node) && children.length > 0) out['.'] = {};
    for (const child of children) out[child] = render(node[child]!);
    return out;
  };
  return render(root);
}

/** FieldsV1 back to a FieldSet; anything that is not an object tree is ignored. */
export function fromFieldsV1(fields: unknown): FieldSet {
  const set: FieldSet = new Set();
  const walk = (node: unknown, path: string[]) => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
    const entries = Object.entries(node);
    if (entries.length === 0 && path.length > 0) set.add(joinPath(path));
    for (const [element, child] of entries) {
      if (element === '.') set.add(joinPath(path));
      else walk(child, [...path, element]);
    }
  };
  walk(fields, []);
  return set;
}
