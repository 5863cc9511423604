// Schema constructors with static types (TypeBox): each kind declares its served shape once,
// and that one declaration is the OpenAPI schema, the input of the strict-field and type
// checks (schema-check.ts, unknown-fields.ts) and, through `Static<typeof …>`, the TypeScript
// type. Only Kubernetes' structural-schema subset is produced (no anyOf, patternProperties or
// $ref), so the OpenAPI served stays what kube-apiserver would accept for a CRD.
import { Type, type Static, type TArray, type TObject, type TOptional, type TProperties, type TSchema, type TUnsafe } from '@sinclair/typebox';

export type { Static, TObject, TSchema } from '@sinclair/typebox';

/** Kubernetes extensions a list can carry (server-side apply reads them). */
export interface ListOptions {
  description?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

type WithRequired<P extends TProperties, R extends keyof P> = { [K in keyof P]: K extends R ? P[K] : TOptional<P[K]> };

const described = (description?: string): { description?: string } => (description ? { description } : {});

/**
 * An object with the given fields. Every field is optional (Kubernetes style) except those
 * named in `required`, which the type and the schema's `required` both demand.
 */
export function object<P extends TProperties, R extends keyof P & string = never>(properties: P, required: readonly R[] = [], description?: string): TObject<WithRequired<P, R>> {
  const fields: TProperties = {};
  for (const [key, schema] of Object.entries(properties)) fields[key] = (required as readonly string[]).includes(key) ? schema : Type.Optional(schema);
  return Type.Object(fields, described(description)) as TObject<WithRequired<P, R>>;
}

/** A list of `items`; `options` carries the description and the list-type extensions. */
export function array<S extends TSchema>(items: S, options: string | ListOptions = {}): TArray<S> {
  return Type.Array(items, typeof options === 'string' ? described(options) : options);
}

/** A list merged by server-side apply item by item, keyed by `keys` (`x-kubernetes-list-type: map`). */
export function listMap<S extends TSchema>(items: S, keys: string[], description?: string): TArray<S> {
  return array(items, { ...described(description), 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys });
}

/** A list replaced as a whole by server-side apply (`x-kubernetes-list-type: atomic`). */
export function atomicList<S extends TSchema>(items: S, description?: string): TArray<S> {
  return array(items, { ...described(description), 'x-kubernetes-list-type': 'atomic' });
}

/** A map from any string key to `values` (labels, nodeSelector, resource lists). */
export function map<S extends TSchema>(values: S, description?: string): TUnsafe<Record<string, Static<S>>> {
  // additionalProperties, not TypeBox's Record (patternProperties), which is not structural.
  return Type.Unsafe<Record<string, Static<S>>>({ type: 'object', additionalProperties: values, ...described(description) });
}

export function string(description?: string, extra: { format?: string } = {}) {
  return Type.String({ ...described(description), ...extra });
}

/** A string limited to `values` (an `enum`, which structural schemas allow; not TypeBox's anyOf). */
export function oneOf<const V extends readonly string[]>(values: V, description?: string): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...described(description) });
}

export function integer(description?: string, format: 'int32' | 'int64' = 'int32') {
  return Type.Integer({ format, ...described(description) });
}

export function number(description?: string) {
  return Type.Number({ format: 'double', ...described(description) });
}

export function boolean(description?: string) {
  return Type.Boolean(described(description));
}

/** An RFC 3339 timestamp. */
export function dateTime(description?: string) {
  return Type.String({ format: 'date-time', ...described(description) });
}

/** A Kubernetes quantity (`1024M`, `1Gi`, or a number). */
export function quantity(description?: string): TUnsafe<string | number> {
  return Type.Unsafe<string | number>({ 'x-kubernetes-int-or-string': true, ...described(description) });
}

/** An object whose content is not modelled: anything is kept (affinity, probes, foreign status). */
export function opaque(description?: string): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...described(description) });
}

/** An empty marker object such as `bridge: {}` or `pod: {}`. */
export function marker(description?: string): TObject<{}> {
  return Type.Object({}, described(description));
}
