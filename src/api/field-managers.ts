// Server-side apply and managedFields on the write path: the field manager of a request, which
// paths are tracked, the Update entry every ordinary write records, and the apply itself.
import type { StoredObject } from '../store/types.ts';
import type { Schema } from '../resources/kind.ts';
import { formatTimestamp } from '../store/object-meta.ts';
import { decodeObject } from './body.ts';
import { ApiError, Reason, badRequest } from './errors.ts';
import type { ApiRequest } from './http-types.ts';
import { metadataOf, type ApiContext, type ResourceCall } from './objects.ts';
import { ApplyConflictError, printManager, serverSideApply, trackUpdate } from './ssa/apply.ts';
import { fieldsOf, pathString, splitPath, type FieldSet } from './ssa/field-path.ts';
import { decodeManagedFields, encodeManagedFields } from './ssa/managed-fields.ts';

/** metadata fields the server sets or that name the object: never owned by a manager. */
const UNTRACKED_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'generateName']);

/** ObjectMeta's merge rules (from its OpenAPI): owner references keyed by uid, finalizers a set. */
const OBJECT_META: Schema = {
  type: 'object',
  properties: {
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
    ownerReferences: { type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['uid'] },
  },
};

const schemas = new WeakMap<Schema, Schema>();

/** The kind's schema with ObjectMeta's merge rules under metadata (built once per kind: every write needs it). */
function schemaOf(call: ResourceCall): Schema {
  const kindSchema = call.kind.schema;
  let schema = schemas.get(kindSchema);
  if (!schema) schemas.set(kindSchema, (schema = { ...kindSchema, properties: { ...kindSchema.properties, metadata: OBJECT_META } }));
  return schema;
}

/** Whether a path is tracked for this request (status belongs to /status when the kind has that subresource). */
function trackedFor(call: ResourceCall): (path: string[]) => boolean {
  const statusRequest = call.route.subresource === 'status';
  return (path) => {
    const [first, second] = path;
    if (first === 'f:apiVersion' || first === 'f:kind') return false;
    if (first === 'f:metadata') return second === undefined || !UNTRACKED_METADATA.has(second.slice(2));
    if (statusRequest) return first === 'f:status';
    return !(call.kind.statusSubresource && first === 'f:status');
  };
}

/** The request's field manager: `fieldManager`, else the User-Agent up to its first `/` (as kube-apiserver does). */
export function managerOf(req: ApiRequest): string {
  const given = req.query.get('fieldManager');
  if (given !== null && given !== '') {
    if (given.length > 128) throw badRequest(`fieldManager: Too long: may not be more than 128 bytes (found ${given.length})`);
    return given;
  }
  const agent = (req.headers['user-agent'] ?? '').split('/')[0]?.trim() ?? '';
  return (agent === '' ? 'unknown' : agent).slice(0, 128);
}

const timeOf = (ctx: ApiContext): string => formatTimestamp(new Date(ctx.now()));

/**
 * Records an ordinary write's ownership in `next.metadata.managedFields`. When the request set
 * managedFields itself (kubectl's client-side → server-side migration), those are the base.
 */
export function recordUpdate(ctx: ApiContext, call: ResourceCall, req: ApiRequest, old: StoredObject | undefined, next: Record<string, unknown>): void {
  const meta = metadataOf(next);
  const given = meta.managedFields;
  // Given entries equal to the stored ones decode to the same managers: either is the base.
  const base = given !== undefined ? given : old?.metadata.managedFields;
  if (given !== undefined && !Array.isArray(given)) throw badRequest(`metadata.managedFields: Invalid value: expected a list of entries, found ${typeof given}`);
  const managers = trackUpdate({
    old: old as Record<string, unknown> | undefined,
    next,
    schema: schemaOf(call),
    managers: decodeManagedFields(base),
    manager: managerOf(req),
    apiVersion: call.apiVersion,
    time: timeOf(ctx),
    ...(call.route.subresource ? { subresource: call.route.subresource } : {}),
    tracked: trackedFor(call),
  });
  const encoded = encodeManagedFields(managers);
  if (encoded.length > 0) meta.managedFields = encoded;
  else delete meta.managedFields;
}

/** Whether `force` is set (a boolean query parameter: false only when absent, `0` or `false`). */
const forced = (query: URLSearchParams): boolean => {
  const v = query.get('force');
  return v !== null && v !== '0' && v.toLowerCase() !== 'false';
};

/** kubectl's field manager for `apply --server-side`; kube-apiserver upgrades client-side apply for it alone. */
const KUBECTL = 'kubectl';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The fields client-side apply last applied (its annotation): kubectl's apply --server-side may
 * take these without conflict (kube-apiserver's lastAppliedManager), then moves ownership itself.
 */
function lastAppliedFields(call: ResourceCall, live: StoredObject | undefined): FieldSet {
  const text = live?.metadata.annotations?.[LAST_APPLIED];
  if (typeof text !== 'string') return new Set();
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return new Set();
    const tracked = trackedFor(call);
    return new Set([...fieldsOf(parsed, schemaOf(call))].filter((k) => tracked(splitPath(k))));
  } catch {
    return new Set();
  }
}

/** An object that still has the client-side annotation gets the applied configuration in it (kube-apiserver's lastAppliedUpdater), so going back to client-side apply is safe. */
function keepLastAppliedInStep(object: Record<string, unknown>, applied: Record<string, unknown>): void {
  const annotations = metadataOf(object).annotations as Record<string, unknown> | undefined;
  if (annotations?.[LAST_APPLIED] === undefined) return;
  const config = structuredClone(applied);
  const meta = metadataOf(config);
  if (typeof meta.annotations === 'object' && meta.annotations !== null) delete (meta.annotations as Record<string, unknown>)[LAST_APPLIED];
  annotations[LAST_APPLIED] = `${JSON.stringify(config)}\n`;
}

/** The object a server-side apply makes of `live` (undefined: the apply creates it), managedFields set. */
export function applyConfiguration(ctx: ApiContext, call: ResourceCall, req: ApiRequest, name: string, live: StoredObject | undefined): Record<string, unknown> {
  const manager = req.query.get('fieldManager');
  if (manager === null || manager === '') throw badRequest('fieldManager is required for apply requests (the fieldManager query parameter is empty)');
  if (manager.length > 128) throw badRequest(`fieldManager: Too long: may not be more than 128 bytes (found ${manager.length})`);
  const applied = decodeObject(req.body, 'application/apply-patch+yaml');
  if (typeof applied.apiVersion !== 'string' || typeof applied.kind !== 'string') {
    throw badRequest(`the apply configuration must set apiVersion and kind (found apiVersion ${JSON.stringify(applied.apiVersion)}, kind ${JSON.stringify(applied.kind)})`);
  }
  const meta = metadataOf(applied);
  if (meta.name !== undefined && meta.name !== name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  if (meta.managedFields !== undefined) throw badRequest('metadata.managedFields must be nil in an apply configuration');
  try {
    const result = serverSideApply({
      live: live as Record<string, unknown> | undefined,
      applied,
      schema: schemaOf(call),
      managers: decodeManagedFields(live?.metadata.managedFields),
      manager,
      apiVersion: call.apiVersion,
      force: forced(req.query),
      time: timeOf(ctx),
      tracked: trackedFor(call),
      ...(manager === KUBECTL ? { allowed: lastAppliedFields(call, live) } : {}),
    });
    const object = result.object;
    if (manager === KUBECTL) keepLastAppliedInStep(object, applied);
    const encoded = encodeManagedFields(result.managers);
    const outMeta = metadataOf(object);
    outMeta.name = name;
    if (encoded.length > 0) outMeta.managedFields = encoded;
    else delete outMeta.managedFields;
    return object;
  } catch (err) {
    if (!(err instanceof ApplyConflictError)) throw err;
    throw new ApiError(409, Reason.Conflict, err.message, {
      name,
      ...(call.kind.group ? { group: call.kind.group } : {}),
      kind: call.kind.plural,
      causes: err.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) })),
    });
  }
}
