// GET of one object or a list, as JSON or as a Table. Lists come from the store's copy in
// memory; in the stored version they are the stored objects' bytes, written out in chunks
// by the adapter without parsing, serialising or encoding the items again. Watches are in watch-stream.ts.
import { GoneError } from '../store/errors.ts';
import { ApiError, Reason } from './errors.ts';
import { RawJson, json, type ApiRequest, type ApiResponse } from './http-types.ts';
import { listParams } from './list-params.ts';
import { asRequested, type ApiContext, type ResourceCall } from './objects.ts';
import { renderTable, wantsTable, type TableRequest } from './table.ts';

/** The Warning headers of a call. */
export const headersOf = (call: ResourceCall): Record<string, string[]> => (call.warnings.length > 0 ? { warning: call.warnings } : {});

/** The Table the client asked for, if any. */
export function tableOf(req: ApiRequest): TableRequest | undefined {
  return wantsTable(req.headers.accept, req.query.get('includeObject'));
}

/** GET of one object (or its status subresource). */
export function getObject(ctx: ApiContext, call: ResourceCall, req: ApiRequest, name: string): ApiResponse {
  const object = asRequested(call, ctx.store.get(call.key, call.route.namespace, name));
  const table = tableOf(req);
  const body = table ? renderTable(call.kind, [object], table, ctx.now(), { resourceVersion: object.metadata.resourceVersion }) : object;
  return json(200, body, headersOf(call));
}

/** 504 for a resourceVersion the store has not reached, as the API server answers it. */
function tooLarge(requested: string, current: string): ApiError {
  return new ApiError(504, Reason.Timeout, `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

/**
 * Checks a list's resourceVersion against the store: every list is served at the newest state
 * (what `0`, unset and NotOlderThan allow); Exact only when this resource has not changed since.
 */
function checkVersion(ctx: ApiContext, call: ResourceCall, resourceVersion: string, match: string | undefined): void {
  if (resourceVersion === '' || resourceVersion === '0') return;
  const current = ctx.store.currentResourceVersion();
  if (Number(resourceVersion) > Number(current)) throw tooLarge(resourceVersion, current);
  if (match === 'Exact' && Number(ctx.store.lastChangeOf(call.key)) > Number(resourceVersion)) {
    // The state at that version is no longer kept (the store holds only the newest).
    throw new GoneError(resourceVersion, ctx.store.lastChangeOf(call.key));
  }
}

/** GET of a collection: List or Table, with selectors, limit/continue and resourceVersion semantics. */
export function listObjects(ctx: ApiContext, call: ResourceCall, req: ApiRequest): ApiResponse {
  const params = listParams(call, req.query);
  checkVersion(ctx, call, params.resourceVersion, params.match);
  const table = tableOf(req);
  const raw = ctx.store.listRaw(call.key, params.options);
  const listMeta = {
    // Exact: the list is the state at that version (nothing changed since).
    resourceVersion: params.match === 'Exact' ? params.resourceVersion : raw.resourceVersion,
    ...(raw.continue ? { continue: raw.continue } : {}),
    ...(raw.remainingItemCount !== undefined ? { remainingItemCount: raw.remainingItemCount } : {}),
  };
  if (!table && call.apiVersion === call.storedApiVersion) {
    const head = `{"kind":${JSON.stringify(call.kind.listKind)},"apiVersion":${JSON.stringify(call.apiVersion)},"metadata":${JSON.stringify(listMeta)},"items":[`;
    return json(200, new RawJson(head, raw.items, ']}\n'), headersOf(call));
  }
  const items = raw.items.map((bytes) => asRequested(call, JSON.parse(bytes.toString())));
  const body = table
    ? renderTable(call.kind, items, table, ctx.now(), listMeta)
    : { kind: call.kind.listKind, apiVersion: call.apiVersion, metadata: listMeta, items };
  return json(200, body, headersOf(call));
}
