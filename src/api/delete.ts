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
  /** DeleteOptions.gracePeriodSeconds (body) or ?gracePeriodSeconds= (query). */
  gracePeriodSeconds?: number;
}

function queryGrace(req: ApiRequest): number | undefined {
  const q = req.query.get('gracePeriodSeconds');
  if (q === null || q === '') return undefined;
  const n = Number(q);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`gracePeriodSeconds must be a non-negative integer, found ${JSON.stringify(q)}`);
  return n;
}

function deleteBody(req: ApiRequest): DeleteBody {
  const dryRun = isDryRun(req.query);
  const fromQuery = queryGrace(req);
  const graceOf = (n: number | undefined) => (n !== undefined ? { gracePeriodSeconds: n } : {});
  if (req.body === undefined || req.body.length === 0) return { preconditions: undefined, dryRun, ...graceOf(fromQuery) };
  const body = decodeObject(req.body, req.headers['content-type']);
  if (body.kind !== undefined && body.kind !== 'DeleteOptions') throw badRequest(`a DELETE body must be DeleteOptions, found kind ${JSON.stringify(body.kind)}`);
  const pre = body.preconditions as Record<string, unknown> | undefined | null;
  const preconditions: NonNullable<DeleteOptions['preconditions']> = {};
  if (pre && typeof pre.uid === 'string') preconditions.uid = pre.uid;
  if (pre && typeof pre.resourceVersion === 'string') preconditions.resourceVersion = pre.resourceVersion;
  const bodyDryRun = Array.isArray(body.dryRun) && body.dryRun.includes('All');
  const g = body.gracePeriodSeconds;
  if (g !== undefined && g !== null && (typeof g !== 'number' || !Number.isInteger(g) || g < 0)) throw badRequest(`gracePeriodSeconds must be a non-negative integer, found ${JSON.stringify(g)}`);
  const grace = typeof g === 'number' ? g : fromQuery;
  return { preconditions: Object.keys(preconditions).length > 0 ? preconditions : undefined, dryRun: dryRun || bodyDryRun, ...graceOf(grace) };
}

const headersOf = (call: ResourceCall) => (call.warnings.length > 0 ? { warning: call.warnings } : {});

/** DELETE one object: Status Success when it is gone, the object when finalizers keep it. */
export function deleteObject(ctx: ApiContext, call: ResourceCall, req: ApiRequest, name: string): ApiResponse {
  const { preconditions, dryRun, gracePeriodSeconds } = deleteBody(req);
  if (call.kind.group === '' && call.kind.kind === 'Namespace' && name === 'default') {
    throw new ApiError(403, Reason.Forbidden, 'namespaces "default" is forbidden: this namespace may not be deleted', { name, kind: 'namespaces' });
  }
  if (dryRun) return json(200, asRequested(call, ctx.store.get(call.key, call.route.namespace, name)), headersOf(call));
  if (call.kind.group === '' && call.kind.kind === 'Namespace') emptyNamespace(ctx, name);
  const grace = gracePeriodSeconds ?? defaultGrace(ctx, call, name);
  const { object, removed } = ctx.store.delete(call.key, call.route.namespace, name, { ...(preconditions ? { preconditions } : {}), ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}) });
  if (!removed) return json(200, asRequested(call, object), headersOf(call));
  return json(
    200,
    successStatus({ name, ...(call.kind.group ? { group: call.kind.group } : {}), kind: call.kind.plural, uid: object.metadata.uid }),
    headersOf(call),
  );
}

/**
 * The grace period of a delete that names none: a VMI's spec.terminationGracePeriodSeconds,
 * else 30 (what the API server's pod strategy does for pods); other kinds get none (0).
 */
function defaultGrace(ctx: ApiContext, call: ResourceCall, name: string, namespace = call.route.namespace): number | undefined {
  if (call.kind.group !== 'kubevirt.io' || call.kind.kind !== 'VirtualMachineInstance') return undefined;
  const spec = ctx.store.get(call.key, namespace, name).spec as Record<string, unknown> | undefined;
  const g = spec?.terminationGracePeriodSeconds;
  return typeof g === 'number' && g >= 0 ? g : 30;
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
  const { dryRun, gracePeriodSeconds } = deleteBody(req);
  const labelSelector = req.query.get('labelSelector');
  const fieldSelector = req.query.get('fieldSelector');
  const listed = ctx.store.list(call.key, {
    ...(call.route.namespace !== undefined ? { namespace: call.route.namespace } : {}),
    ...(labelSelector ? { labelSelector } : {}),
    ...(fieldSelector ? { fieldSelector } : {}),
  });
  const items = listed.items.map((o) => {
    if (dryRun) return o;
    const grace = gracePeriodSeconds ?? defaultGrace(ctx, call, o.metadata.name, o.metadata.namespace);
    return ctx.store.delete(call.key, o.metadata.namespace, o.metadata.name, grace !== undefined ? { gracePeriodSeconds: grace } : {}).object;
  });
  return json(200, { kind: call.kind.listKind, apiVersion: call.apiVersion, metadata: { resourceVersion: ctx.store.currentResourceVersion() }, items: items.map((o) => asRequested(call, o)) }, headersOf(call));
}
