// A watch: newline-delimited JSON events until the client leaves or timeoutSeconds passes.
// Each event's line is serialised once per object, type and apiVersion and shared by every
// watcher (kube-apiserver's watch cache does the same); bookmarks (allowWatchBookmarks),
// sendInitialEvents with its end-of-initial-events bookmark; at most `maxWatches` at once.
import { GoneError } from '../store/errors.ts';
import type { StoredObject, WatchEvent, WatchOptions } from '../store/types.ts';
import { ApiError, Reason, toStatus } from './errors.ts';
import type { ApiRequest, ApiResponse, StreamBody } from './http-types.ts';
import { watchParams } from './list-params.ts';
import { asRequested, type ApiContext, type ResourceCall } from './objects.ts';
import { headersOf, tableOf } from './read.ts';
import { renderTable } from './table.ts';
import { durableWriter, sharedJoin, type JoinChunks } from './durable.ts';

export interface WatchSettings {
  /** Watches open at once across all clients; one more is refused with 429 (default 1,000). */
  maxWatches?: number;
  /** How often a watch with allowWatchBookmarks gets a BOOKMARK (default 60 s, as kube-apiserver). */
  bookmarkIntervalMs?: number;
}

/** The watches of one API server: their count and the event lines they share. */
export class WatchRegistry {
  readonly maxWatches: number;
  readonly bookmarkIntervalMs: number;
  active = 0;
  /** Lines by event object (the same object reaches every watcher of a change), then by `type apiVersion`. */
  readonly lines = new WeakMap<StoredObject, Map<string, string>>();
  /** The batches released when a sync settles, joined once for every watcher that releases the same lines. */
  readonly join: JoinChunks = sharedJoin();

  constructor(settings: WatchSettings = {}) {
    this.maxWatches = settings.maxWatches ?? 1_000;
    this.bookmarkIntervalMs = settings.bookmarkIntervalMs ?? 60_000;
    if (!Number.isInteger(this.maxWatches) || this.maxWatches < 1) throw new RangeError(`maxWatches must be an integer >= 1: current value is ${this.maxWatches}`);
  }
}

/** The line of an event in the client's apiVersion, serialised once for every watcher. */
function sharedLine(registry: WatchRegistry, call: ResourceCall, event: WatchEvent): string {
  let perObject = registry.lines.get(event.object);
  if (!perObject) registry.lines.set(event.object, (perObject = new Map()));
  const key = event.type === 'MODIFIED' ? call.apiVersion : `${event.type} ${call.apiVersion}`;
  let line = perObject.get(key);
  if (line === undefined) {
    const same = event.raw !== undefined && event.object.apiVersion === call.apiVersion && event.object.kind === call.kind.kind;
    line = `{"type":"${event.type}","object":${same ? event.raw : JSON.stringify(asRequested(call, event.object))}}\n`;
    perObject.set(key, line);
  }
  return line;
}

/** Starts a watch (429 when `maxWatches` are open). */
export function watchObjects(ctx: ApiContext, call: ResourceCall, req: ApiRequest): ApiResponse {
  const registry = ctx.watches;
  const params = watchParams(call, req.query);
  if (registry.active >= registry.maxWatches) {
    throw new ApiError(429, Reason.TooManyRequests, `too many watches open: at most ${registry.maxWatches} at once; close one or retry later`, { retryAfterSeconds: 1 });
  }
  const options: WatchOptions = { ...params.options };
  // sendInitialEvents=false from "now": no synthetic ADDED events, only what changes next.
  const fromNow = params.sendInitialEvents === false && (params.resourceVersion === '' || params.resourceVersion === '0');
  if (fromNow) options.resourceVersion = ctx.store.currentResourceVersion();
  else if (params.sendInitialEvents === true) delete options.resourceVersion;
  else if (params.resourceVersion !== '') options.resourceVersion = params.resourceVersion;
  const table = tableOf(req);
  const lineOf = (event: WatchEvent): string => {
    if (!table) return sharedLine(registry, call, event);
    const object = renderTable(call.kind, [asRequested(call, event.object)], table, ctx.now(), { resourceVersion: event.object.metadata.resourceVersion });
    return `${JSON.stringify({ type: event.type, object })}\n`;
  };
  const bookmark = (annotations?: Record<string, string>): string =>
    `${JSON.stringify({ type: 'BOOKMARK', object: { kind: call.kind.kind, apiVersion: call.apiVersion, metadata: { resourceVersion: ctx.store.currentResourceVersion(), ...(annotations ? { annotations } : {}) } } })}\n`;
  const body: StreamBody = {
    stream: (rawWrite, rawEnd, signal) => {
      // Lines leave only once the writes they carry are durable.
      const { write, end } = durableWriter(() => ctx.store.durable(), rawWrite, rawEnd, registry.join);
      const controller = new AbortController();
      registry.active++;
      let timer: NodeJS.Timeout | undefined;
      let ticker: NodeJS.Timeout | undefined;
      const stop = () => {
        if (controller.signal.aborted) return;
        controller.abort();
        registry.active--;
        clearTimeout(timer);
        clearInterval(ticker);
        end();
      };
      signal.addEventListener('abort', stop, { once: true });
      if (params.timeoutSeconds > 0) {
        timer = setTimeout(() => {
          // kube-apiserver sends a last bookmark before the deadline, so the client resumes from it.
          if (params.allowWatchBookmarks) write(bookmark());
          stop();
        }, params.timeoutSeconds * 1000);
      }
      if (params.allowWatchBookmarks) ticker = setInterval(() => write(bookmark()), registry.bookmarkIntervalMs);
      try {
        // Every committed change is delivered synchronously, so the store's current version is
        // what this watcher has seen once watch() returns: the initial-events bookmark carries it.
        ctx.store.watch(call.key, options, (event) => write(lineOf(event)), controller.signal);
        if (params.sendInitialEvents === true) write(bookmark({ 'k8s.io/initial-events-end': 'true' }));
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
