// DELETE of one object (with DeleteOptions preconditions) or of a collection.
import { decodeObject } from './body.ts';
import { ApiError, Reason, badRequest, successStatus } from './errors.ts';
import { json, type ApiRequest, type ApiResponse } from './http-types.ts';
import { asRequested, type ApiContext, type ResourceCall } from './objects.ts';
import { isDryRun } from './write-options.ts';
import type { DeleteOptions } from '../store/types.ts';

interface DeleteBody {
  preconditions: DeleteOptions['preconditions'];
  dryRun: boolean;
}

function deleteBody(req: ApiRequest): DeleteBody {
  const dryRun = isDryRun(req.query);
  if (req.body === undefined || req.body.length === 0) return { preconditions: undefined, dryRun };
  const body = decodeObject(req.body, req.headers['content-type']);
  if (body.kind !== undefined && body.kind !== 'DeleteOptions') throw badRequest(`a DELETE body must be DeleteOptions, found kind ${JSON.stringify(body.kind)}`);
  const pre = body.preconditions as Record<string, unknown> | undefined | null;
  const preconditions: NonNullable<DeleteOptions['preconditions']> = {};
  if (pre && typeof pre.uid === 'string') preconditions.uid = pre.uid;
  if (pre && typeof pre.resourceVersion === 'string') preconditions.resourceVersion = pre.resourceVersion;
  const bodyDryRun = Array.isArray(body.dryRun) && body.dryRun.includes('All');
  return { preconditions: Object.keys(preconditions).length > 0 ? preconditions : undefined, dryRun: dryRun || bodyDryRun };
}

const headersOf = (call: ResourceCall) => (call.warnings.length > 0 ? { warning: call.warnings } : {});

/** DELETE one object: Status Success when it is gone, the object when finalizers keep it. */
export function deleteObject(ctx: ApiContext, call: ResourceCall, req: ApiRequest, name: string): ApiResponse {
  const { preconditions, dryRun } = deleteBody(req);
  if (call.kind.group === '' && call.kind.kind === 'Namespace' && name === 'default') {
    throw new ApiError(403, Reason.Forbidden, 'namespaces "default" is forbidden: this namespace may not be deleted', { name, kind: 'namespaces' });
  }
  if (dryRun) return json(200, asRequested(call, ctx.store.get(call.key, call.route.namespace, name)), headersOf(call));
  if (call.kind.group === '' && call.kind.kind === 'Namespace') emptyNamespace(ctx, name);
  const { object, removed } = ctx.store.delete(call.key, call.route.namespace, name, preconditions ? { preconditions } : {});
  if (!removed) return json(200, asRequested(call, object), headersOf(call));
  return json(
    200,
    successStatus({ name, ...(call.kind.group ? { group: call.kind.group } : {}), kind: call.kind.plural, uid: object.metadata.uid }),
    headersOf(call),
  );
}

/** Deletes every namespaced object in a namespace (what the namespace controller does on its deletion). */
function emptyNamespace(ctx: ApiContext, namespace: string): void {
  ctx.store.get({ group: '', resource: 'namespaces' }, undefined, namespace);
  for (const kind of ctx.kinds) {
    if (!kind.namespaced) continue;
    const key = { group: kind.group, resource: kind.plural };
    for (const o of ctx.store.list(key, { namespace }).items) ctx.store.delete(key, namespace, o.metadata.name);
  }
}

/** DELETE of a collection: deletes every selected object and returns them as a list. */
export function deleteCollection(ctx: ApiContext, call: ResourceCall, req: ApiRequest): ApiResponse {
  const { dryRun } = deleteBody(req);
  const labelSelector = req.query.get('labelSelector');
  const fieldSelector = req.query.get('fieldSelector');
  const listed = ctx.store.list(call.key, {
    ...(call.route.namespace !== undefined ? { namespace: call.route.namespace } : {}),
    ...(labelSelector ? { labelSelector } : {}),
    ...(fieldSelector ? { fieldSelector } : {}),
  });
  const items = listed.items.map((o) => (dryRun ? o : ctx.store.delete(call.key, o.metadata.namespace, o.metadata.name).object));
  return json(200, { kind: call.kind.listKind, apiVersion: call.apiVersion, metadata: { resourceVersion: ctx.store.currentResourceVersion() }, items: items.map((o) => asRequested(call, o)) }, headersOf(call));
}
