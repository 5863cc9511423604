// Small constructors for hand-written schemas, so each kind's schema reads like its type.
import type { Schema } from './kind.ts';

/** An object with the given fields; `required` lists the fields that must be present. */
export function object(properties: Record<string, Schema>, required?: string[], description?: string): Schema {
  return { type: 'object', properties, ...(required && required.length > 0 ? { required } : {}), ...(description ? { description } : {}) };
}

/** A list of `items`. */
export function array(items: Schema, description?: string): Schema {
  return { type: 'array', items, ...(description ? { description } : {}) };
}

/** A map from any string key to `values` (labels, nodeSelector, resource lists). */
export function map(values: Schema, description?: string): Schema {
  return { type: 'object', additionalProperties: values, ...(description ? { description } : {}) };
}

export function string(description?: string, extra: Partial<Schema> = {}): Schema {
  return { type: 'string', ...(description ? { description } : {}), ...extra };
}

/** A string limited to `values`. */
export function oneOf(values: readonly string[], description?: string): Schema {
  return { type: 'string', enum: [...values], ...(description ? { description } : {}) };
}

export function integer(description?: string, format: 'int32' | 'int64' = 'int32'): Schema {
  return { type: 'integer', format, ...(description ? { description } : {}) };
}

export function boolean(description?: string): Schema {
  return { type: 'boolean', ...(description ? { description } : {}) };
}

/** An RFC 3339 timestamp. */
export function dateTime(description?: string): Schema {
  return { type: 'string', format: 'date-time', ...(description ? { description } : {}) };
}

/** A Kubernetes quantity (`1024M`, `1Gi`, or a number). */
export function quantity(description?: string): Schema {
  return { 'x-kubernetes-int-or-string': true, ...(description ? { description } : {}) };
}

/** An object whose content is not modelled: anything is kept (affinity, probes, foreign status). */
export function opaque(description?: string): Schema {
  return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...(description ? { description } : {}) };
}

/** An empty marker object such as `bridge: {}` or `pod: {}`. */
export function marker(description?: string): Schema {
  return { type: 'object', properties: {}, ...(description ? { description } : {}) };
}
