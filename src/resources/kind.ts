// What the API server needs to know about a kind: names for discovery and URLs, the
// schema for OpenAPI and strict field validation, printer columns for tables, and the
// pure defaulting and admission functions. One KindInfo per kind, listed in kinds.ts.
import type { Cause } from './causes.ts';

/**
 * An OpenAPI v3 / JSON-Schema subset, as Kubernetes uses it (structural schemas): the view the
 * walkers and the OpenAPI document take of the TypeBox declarations (schema-builders.ts).
 */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | undefined;
  description?: string | undefined;
  properties?: Record<string, Schema> | undefined;
  /** For maps (`labels`) — a schema for every value. */
  additionalProperties?: Schema | boolean | undefined;
  items?: Schema | undefined;
  required?: readonly string[] | undefined;
  enum?: unknown[] | undefined;
  format?: string | undefined;
  default?: unknown | undefined;
  /** Anything is accepted below this node (embedded raw JSON, like `status` of foreign kinds). */
  'x-kubernetes-preserve-unknown-fields'?: boolean | undefined;
  'x-kubernetes-int-or-string'?: boolean | undefined;
  'x-kubernetes-embedded-resource'?: boolean | undefined;
  /** How server-side apply merges a list: atomic (the default), set, or map keyed by the list-map keys. */
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map' | undefined;
  'x-kubernetes-list-map-keys'?: string[] | undefined;
  /** How server-side apply merges a map: granular (the default) or atomic. */
  'x-kubernetes-map-type'?: 'granular' | 'atomic' | undefined;
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  /** JSONPath into the object, e.g. `.status.phase`, or `.metadata.creationTimestamp`. */
  jsonPath: string;
  description?: string;
  /** 0 shows always; 1 only with `-o wide`. */
  priority?: number;
  /** A computed cell (e.g. the number of a Secret's keys) instead of the JSONPath's value. */
  value?: (object: Record<string, unknown>) => unknown;
}

export type Operation = 'CREATE' | 'UPDATE';

export interface AdmissionContext {
  operation: Operation;
  /** The stored object on UPDATE. */
  old?: Record<string, unknown>;
}

export interface KindInfo {
  /** '' for the core group. */
  group: string;
  /** Served versions; the first is preferred. All share the schema. */
  versions: string[];
  /** Versions served with a deprecation warning: version → warning text. */
  deprecated?: Record<string, string>;
  kind: string;
  listKind: string;
  /** Plural resource name used in URLs. */
  plural: string;
  singular: string;
  shortNames: string[];
  categories?: string[];
  namespaced: boolean;
  /** Whether `/status` is a subresource (writes to the main resource then ignore .status). */
  statusSubresource: boolean;
  /** Schema of the whole object (apiVersion, kind, metadata, spec, status). */
  schema: Schema;
  printerColumns: PrinterColumn[];
  /** Applies the kind's defaults (pure: returns a new object, or on UPDATE the object itself when the kind defaults nothing then; the input is never changed). */
  default(object: Record<string, unknown>, context: AdmissionContext): Record<string, unknown>;
  /** Admission: returns the causes that make the object invalid (empty when valid). Field paths start at the object root (`spec.…`, `metadata.name`). */
  validate(object: Record<string, unknown>, context: AdmissionContext): Cause[];
}
