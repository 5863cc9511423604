// Strict field validation (`fieldValidation=Strict`): the paths of fields a schema does not
// declare, reported the way the API server does (`spec.domain.devices.interfaces[0].bogus`).
import type { Schema } from './kind.ts';
import { join } from './causes.ts';
import { isObject as isObj } from '../lib/is-object.ts';

type Obj = Record<string, unknown>;

/** Field paths in `value` not declared by `schema`; preserve-unknown-fields and additionalProperties allow anything below. */
export function findUnknownFields(schema: Schema, value: unknown, base = ''): string[] {
  const found: string[] = [];
  walk(schema, value, base, found);
  return found;
}

function walk(schema: Schema, value: unknown, path: string, found: string[]): void {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => walk(schema.items!, item, join(path, i), found));
    return;
  }
  if (!isObj(value)) return;
  const properties = schema.properties;
  const extra = schema.additionalProperties;
  // A schema that says nothing about an object's fields (no type, no properties) declares none;
  // int-or-string and untyped leaves are not objects, so nothing to report there either.
  if (!properties && extra === undefined) {
    if (schema.type === 'object') for (const key of Object.keys(value)) found.push(join(path, key));
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    // Own members only: `constructor` or `toString` must not find Object.prototype's.
    const declared = properties && Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (declared) walk(declared, child, join(path, key), found);
    else if (extra === true) continue;
    else if (typeof extra === 'object') walk(extra, child, join(path, key), found);
    else found.push(join(path, key));
  }
}
