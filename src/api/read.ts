// GET: one object, a list, or a watch stream; as JSON or as a Table.
import type { ListOptions, StoredObject, WatchEvent, WatchOptions } from '../store/types.ts';
import { GoneError } from '../store/errors.ts';
import { badRequest, toStatus } from './errors.ts';
import { json, type ApiRequest, type ApiResponse, type StreamBody } from './http-types.ts';
import { asRequested, type ApiContext, type ResourceCall } from './objects.ts';
import { renderTable, wantsTable, type TableRequest } from './table.ts';

const headersOf = (call: ResourceCall) => (call.warnings.length > 0 ? { warning: call.warnings } : {});

function selectors(call: ResourceCall, query: URLSearchParams): ListOptions {
  const options: ListOptions = {};
  if (call.route.namespace !== undefined) options.namespace = call.route.namespace;
  const labelSelector = query.get('labelSelector');
  if (labelSelector) options.labelSelector = labelSelector;
  let fieldSelector = query.get('fieldSelector') ?? '';
  // GET on a named object with watch=true watches that one object.
  if (call.route.name !== undefined) fieldSelector = [fieldSelector, `metadata.name=${call.route.name}`].filter(Boolean).join(',');
  if (fieldSelector) options.fieldSelector = fieldSelector;
  return options;
}

function tableOf(req: ApiRequest): TableRequest | undefined {
  return wantsTable(req.headers.accept, req.query.get('includeObject'));
}

/** GET of one object (or its status subresource). */
export function getObject(ctx: ApiContext, call: ResourceCall, req: ApiRequest, name: string): ApiResponse {
  const object = asRequested(call, ctx.store.get(call.key, call.route.namespace, name));
  const table = tableOf(req);
  const body = table ? renderTable(call.kind, [object], table, ctx.now(), { resourceVersion: object.metadata.resourceVersion }) : object;
  return json(200, body, headersOf(call));
}

/** GET of a collection: List or Table, with selectors and limit/continue. */
export function listObjects(ctx: ApiContext, call: ResourceCall, req: ApiRequest): ApiResponse {
  const options = selectors(call, req.query);
  const limit = req.query.get('limit');
  if (limit !== null && limit !== '') {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 0) throw badRequest(`limit must be a non-negative integer, found ${JSON.stringify(limit)}`);
    if (n > 0) options.limit = n;
  }
  const cont = req.query.get('continue');
  if (cont) options.continue = cont;
  const result = ctx.store.list(call.key, options);
  const items = result.items.map((o) => asRequested(call, o));
  const listMeta = {
    resourceVersion: result.resourceVersion,
    ...(result.continue ? { continue: result.continue } : {}),
    ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
  };
  const table = tableOf(req);
  const body = table
    ? renderTable(call.kind, items, table, ctx.now(), listMeta)
    : { kind: call.kind.listKind, apiVersion: call.apiVersion, metadata: listMeta, items };
  return json(200, body, headersOf(call));
}

/** A watch: newline-delimited JSON events until the client leaves or timeoutSeconds passes. */
export function watchObjects(ctx: ApiContext, call: ResourceCall, req: ApiRequest): ApiResponse {
  const options: WatchOptions = selectors(call, req.query);
  const from = req.query.get('resourceVersion');
  if (from) options.resourceVersion = from;
  const timeout = Number(req.query.get('timeoutSeconds') ?? '0');
  const table = tableOf(req);
  const render = (object: StoredObject): unknown => {
    const requested = asRequested(call, object);
    return table ? renderTable(call.kind, [requested], table, ctx.now(), { resourceVersion: object.metadata.resourceVersion }) : requested;
  };
  const body: StreamBody = {
      stream: (write, end, signal) => {
        const controller = new AbortController();
        const stop = () => {
          if (controller.signal.aborted) return;
          controller.abort();
          clearTimeout(timer);
          end();
        };
        signal.addEventListener('abort', stop, { once: true });
        const timer = timeout > 0 ? setTimeout(stop, timeout * 1000) : undefined;
        try {
          ctx.store.watch(call.key, options, (event: WatchEvent) => write(`${JSON.stringify({ type: event.type, object: render(event.object) })}\n`), controller.signal);
        } catch (err) {
          // Like the API server: a too-old resourceVersion is an ERROR event carrying a 410 Status.
          const status = toStatus(err);
          if (err instanceof GoneError) status.message = err.message;
          write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
          stop();
        }
      },
  };
  return { status: 200, headers: { 'content-type': 'application/json', ...headersOf(call) }, body };
}
