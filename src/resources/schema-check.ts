// Structural checks of an object against its schema (types and required fields), worded like
// the API server's CRD validation: `spec.domain: Required value`,
// `Invalid value: "string": spec.x in body must be of type integer: "string"`.
import { CauseType, join, type Cause } from './causes.ts';
import type { Schema } from './kind.ts';

const typeOf = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
};

function matches(type: NonNullable<Schema['type']>, v: unknown): boolean {
  const found = typeOf(v);
  if (type === 'number') return found === 'number' || found === 'integer';
  return found === type;
}

/** Type and required-field causes for `value` under `schema` (enums are left to admission). */
export function schemaCauses(schema: Schema, value: unknown, base = ''): Cause[] {
  const causes: Cause[] = [];
  walk(schema, value, base, causes);
  return causes;
}

function walk(schema: Schema, value: unknown, path: string, causes: Cause[]): void {
  // null is "unset" for optional fields (Go's JSON decoding), e.g. `creationTimestamp: null`.
  if (value === null || value === undefined) return;
  if (schema['x-kubernetes-int-or-string']) {
    const t = typeOf(value);
    if (t !== 'string' && t !== 'integer' && t !== 'number') causes.push(typeCause(path, value, 'integer or string'));
    return;
  }
  if (schema.type && !matches(schema.type, value)) {
    causes.push(typeCause(path, value, schema.type));
    return;
  }
  if (schema['x-kubernetes-preserve-unknown-fields'] && !schema.properties) return;
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => walk(schema.items!, item, join(path, i), causes));
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return;
  const obj = value as Record<string, unknown>;
  for (const key of schema.required ?? []) {
    if (obj[key] === undefined || obj[key] === null) causes.push({ type: CauseType.Required, field: join(path, key), message: 'Required value' });
  }
  for (const [key, child] of Object.entries(obj)) {
    const own = schema.properties && Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
    const declared = own ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (declared) walk(declared, child, join(path, key), causes);
  }
}

function typeCause(path: string, value: unknown, expected: string): Cause {
  const found = typeOf(value);
  return { type: CauseType.Invalid, field: path, message: `Invalid value: "${found}": ${path} in body must be of type ${expected}: "${found}"` };
}
