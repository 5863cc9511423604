// Query options every write shares: dryRun, fieldValidation; and the checks on the body's
// apiVersion, kind, name and namespace against the URL.
import { ApiError, Reason, badRequest } from './errors.ts';
import type { ApiContext, ResourceCall } from './objects.ts';
import { metadataOf, warning } from './objects.ts';
import { pruneUnknownFields } from './prune.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Whether the write is `dryRun=All`. */
export function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw badRequest(`invalid dryRun value ${JSON.stringify(v)}: expected "All"`);
  return values.length > 0;
}

/** The fieldValidation directive (Warn when absent, as the API server does). */
export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`invalid fieldValidation directive ${JSON.stringify(v)}: expected one of Ignore, Warn, Strict`);
}

/** Drops fields the schema does not know; Strict refuses them, Warn adds warnings. */
export function checkUnknownFields(call: ResourceCall, object: Record<string, unknown>, mode: FieldValidation): void {
  const unknown = pruneUnknownFields(call.kind.schema, object);
  if (unknown.length === 0 || mode === 'Ignore') return;
  const texts = unknown.map((path) => `unknown field ${JSON.stringify(path)}`);
  if (mode === 'Strict') throw new ApiError(400, Reason.BadRequest, `strict decoding error: ${texts.join(', ')}`);
  for (const t of texts) call.warnings.push(warning(t));
}

/** Checks the body's apiVersion and kind against the URL (filling them in when absent). */
export function checkTypeMeta(call: ResourceCall, object: Record<string, unknown>): void {
  if (object.apiVersion !== undefined && object.apiVersion !== call.apiVersion) {
    throw badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${call.apiVersion})`);
  }
  if (object.kind !== undefined && object.kind !== call.kind.kind) {
    throw badRequest(`the kind in the data (${String(object.kind)}) does not match the expected kind (${call.kind.kind}) for ${call.key.group ? `${call.key.resource}.${call.key.group}` : call.key.resource}`);
  }
  object.apiVersion = call.storedApiVersion;
  object.kind = call.kind.kind;
}

/** Reconciles metadata.namespace with the URL: the URL wins, a different one is a 400. */
export function checkNamespace(call: ResourceCall, object: Record<string, unknown>): void {
  const meta = metadataOf(object);
  const urlNs = call.route.namespace;
  if (!call.kind.namespaced) {
    delete meta.namespace;
    return;
  }
  if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== urlNs) {
    throw badRequest(`the namespace of the provided object (${String(meta.namespace)}) does not match the namespace sent on the request (${urlNs ?? ''})`);
  }
  if (urlNs !== undefined) meta.namespace = urlNs;
}

/** 404 `namespaces "x" not found` unless the namespace exists. */
export function ensureNamespace(ctx: ApiContext, namespace: string | undefined): void {
  if (namespace === undefined) return;
  ctx.store.get({ group: '', resource: 'namespaces' }, undefined, namespace);
}
