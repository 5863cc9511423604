// POST, PUT and PATCH: decode, check, default, admit, then store (or not, under dryRun).
import { randomUUID } from 'node:crypto';
import type { NewObject, StoredObject } from '../store/types.ts';
import { admit } from './admission.ts';
import { decodeObject } from './body.ts';
import { ApiError, Reason, badRequest, notFound } from './errors.ts';
import { json, type ApiRequest, type ApiResponse } from './http-types.ts';
import { asRequested, dropNulls, generatedName, jsonEqual, metadataOf, type ApiContext, type ResourceCall } from './objects.ts';
import { PatchType, applyPatch, checkPatchType } from './patch.ts';
import { mediaType } from './body.ts';
import { NotFoundError } from '../store/errors.ts';
import { applyConfiguration, recordUpdate } from './field-managers.ts';
import { checkStoredBounds } from './limits.ts';
import { checkNamespace, checkTypeMeta, checkUnknownFields, ensureNamespace, fieldValidationOf, isDryRun } from './write-options.ts';

const SERVER_SET = ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink'];

const respond = (call: ResourceCall, status: number, object: StoredObject): ApiResponse =>
  json(status, asRequested(call, object), call.warnings.length > 0 ? { warning: call.warnings } : {});

/** `Kind.group`, as the API server names a kind in its messages. */
const qualifiedKind = (call: ResourceCall): string => (call.kind.group ? `${call.kind.kind}.${call.kind.group}` : call.kind.kind);

/** POST to a collection. */
export function createObject(ctx: ApiContext, call: ResourceCall, req: ApiRequest): ApiResponse {
  return createFrom(ctx, call, req, decodeObject(req.body, req.headers['content-type']), true);
}

/** Creates `object` (a POST body, or what a server-side apply of a new name made). */
function createFrom(ctx: ApiContext, call: ResourceCall, req: ApiRequest, object: Record<string, unknown>, track: boolean): ApiResponse {
  const dryRun = isDryRun(req.query);
  const mode = fieldValidationOf(req.query);
  checkTypeMeta(call, object);
  checkUnknownFields(call, object, mode);
  checkNamespace(call, object);
  const meta = metadataOf(object);
  dropNulls(meta);
  for (const field of SERVER_SET) delete meta[field];
  if ((meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '') {
    meta.name = generatedName(meta.generateName);
  }
  // With a status subresource, status is written only through /status (as for CRDs).
  if (call.kind.statusSubresource) delete object.status;
  ensureNamespace(ctx, call.route.namespace);
  if (track) recordUpdate(ctx, call, req, undefined, object);
  checkStoredBounds(object, String(meta.name ?? meta.generateName ?? ''), qualifiedKind(call));
  const admitted = admit(call.kind, object, 'CREATE', undefined, { mutate: ctx.mutate, dryRun });
  if (dryRun) {
    const preview = admitted as unknown as StoredObject;
    preview.metadata = { ...preview.metadata, uid: randomUUID(), creationTimestamp: new Date(ctx.now()).toISOString().replace(/\.\d+Z$/, 'Z'), generation: 1, resourceVersion: '' };
    return respond(call, 201, preview);
  }
  return respond(call, 201, ctx.store.create(call.key, admitted as NewObject));
}

/** PUT of an object or its status. */
export function replaceObject(ctx: ApiContext, call: ResourceCall, req: ApiRequest, name: string): ApiResponse {
  const mode = fieldValidationOf(req.query);
  const object = decodeObject(req.body, req.headers['content-type']);
  checkTypeMeta(call, object);
  checkUnknownFields(call, object, mode);
  checkNamespace(call, object);
  const meta = metadataOf(object);
  dropNulls(meta);
  if (meta.name !== undefined && meta.name !== name) {
    throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  }
  meta.name = name;
  if (typeof meta.resourceVersion !== 'string' || meta.resourceVersion === '') {
    throw new ApiError(422, Reason.Invalid, `${qualifiedKind(call)} "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`, {
      name,
      kind: call.kind.kind,
      causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' }],
    });
  }
  const old = ctx.store.get(call.key, call.route.namespace, name);
  return finishUpdate(ctx, call, req, old, object, meta.resourceVersion);
}

/** PATCH of an object or its status. */
export function patchObject(ctx: ApiContext, call: ResourceCall, req: ApiRequest, name: string): ApiResponse {
  if (mediaType(req.headers['content-type']) === PatchType.apply) return applyObject(ctx, call, req, name);
  const mode = fieldValidationOf(req.query);
  checkPatchType(call.kind.group, `${call.apiVersion}, Kind=${call.kind.kind}`, req.headers['content-type']);
  const old = ctx.store.get(call.key, call.route.namespace, name);
  const patched = applyPatch(structuredClone(asRequested(call, old)) as unknown as Record<string, unknown>, req.body, req.headers['content-type']);
  checkTypeMeta(call, patched);
  checkUnknownFields(call, patched, mode);
  const meta = metadataOf(patched);
  dropNulls(meta);
  if (meta.name !== name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  checkNamespace(call, patched);
  const rv = typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '' ? meta.resourceVersion : old.metadata.resourceVersion;
  return finishUpdate(ctx, call, req, old, patched, rv);
}

/** PATCH with application/apply-patch+yaml: server-side apply, which creates the object when it is missing. */
function applyObject(ctx: ApiContext, call: ResourceCall, req: ApiRequest, name: string): ApiResponse {
  let old: StoredObject | undefined;
  try {
    old = ctx.store.get(call.key, call.route.namespace, name);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  const applied = applyConfiguration(ctx, call, req, name, old && asRequested(call, old));
  if (old === undefined) {
    // Apply to /status of a missing object is a 404, as for any status write.
    if (call.route.subresource !== undefined) throw notFound(call.kind.group, call.kind.plural, name);
    return createFrom(ctx, call, req, applied, false);
  }
  checkTypeMeta(call, applied);
  checkUnknownFields(call, applied, fieldValidationOf(req.query));
  checkNamespace(call, applied);
  return finishUpdate(ctx, call, req, old, applied, old.metadata.resourceVersion, false);
}

/** The shared end of PUT and PATCH: keep what the subresource may not change, admit, store. */
function finishUpdate(ctx: ApiContext, call: ResourceCall, req: ApiRequest, old: StoredObject, candidate: Record<string, unknown>, resourceVersion: string, track = true): ApiResponse {
  const dryRun = isDryRun(req.query);
  const status = call.route.subresource === 'status';
  let merged: Record<string, unknown>;
  if (status) {
    merged = { ...old, metadata: { ...old.metadata }, status: candidate.status };
    if (candidate.status === undefined) delete merged.status;
  } else {
    merged = { ...candidate, metadata: { ...(candidate.metadata as object), uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp } };
    if (call.kind.statusSubresource) {
      if (old.status === undefined) delete merged.status;
      else merged.status = old.status;
    }
  }
  // A spec that differs from the stored one only by what defaulting fills in is the stored spec
  // (so `kubectl apply` of the original manifest does not trip "update of VMI object is restricted").
  if (!status && merged.spec !== undefined && !jsonEqual(merged.spec, old.spec)) {
    const redefaulted = call.kind.default(structuredClone(merged), { operation: 'CREATE' });
    if (jsonEqual(redefaulted.spec, old.spec)) merged.spec = old.spec;
  }
  if (track) recordUpdate(ctx, call, req, old, merged);
  else if (status) metadataOf(merged).managedFields = metadataOf(candidate).managedFields;
  checkStoredBounds(merged, old.metadata.name, qualifiedKind(call));
  const admitted = status ? merged : admit(call.kind, merged, 'UPDATE', old as unknown as Record<string, unknown>, { mutate: ctx.mutate, dryRun });
  const next = admitted as unknown as StoredObject;
  const comparable = (o: StoredObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: '' } });
  if (resourceVersion === old.metadata.resourceVersion && jsonEqual(comparable(next), comparable(old))) return respond(call, 200, old);
  if (dryRun) return respond(call, 200, next);
  const options = { expectedResourceVersion: resourceVersion, ...(status ? { subresource: 'status' as const } : {}) };
  return respond(call, 200, ctx.store.update(call.key, next, options));
}
