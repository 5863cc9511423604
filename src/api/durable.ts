// Nothing leaves the API before the writes it reflects are durable: a response waits for the
// store's pending sync (group commit, src/store/group-commit.ts), and a watch's lines are held,
// in order, until the writes they carry are synced. A burst of writes is then released together
// in one turn of the event loop, so each watcher's socket gets one write for the whole batch.
import type { ObjectStore } from '../store/types.ts';
import { isStream, type ApiResponse } from './http-types.ts';

/** The response, deferred until the store's writes so far are durable (a sync failure becomes a 500). */
export function afterDurable(store: Pick<ObjectStore, 'durable'>, response: ApiResponse): ApiResponse {
  if (isStream(response.body)) return response;
  const pending = store.durable();
  if (!pending) return response;
  return { status: response.status, headers: response.headers, body: { deferred: pending.then(() => response) } };
}

/**
 * A stream writer that holds each chunk until the writes made before it are durable, keeping
 * the order; `end` waits for the held chunks. A failed sync ends the stream (the client relists).
 */
export function durableWriter(durable: () => Promise<void> | undefined, write: (chunk: string) => void, end: () => void): { write: (chunk: string) => void; end: () => void } {
  const held: Array<{ chunk: string; ready: boolean }> = [];
  let ending = false;
  let failed = false;
  let draining = false;
  const drain = () => {
    // The ready lines leave as one chunk: one HTTP chunk and one TLS record per watcher per batch.
    let ready = 0;
    while (held[ready]?.ready) ready++;
    if (ready > 0) write(held.splice(0, ready).map((h) => h.chunk).join(''));
    if (ending && held.length === 0) end();
  };
  return {
    write(chunk) {
      if (failed || ending) return;
      const pending = durable();
      if (!pending && held.length === 0) return write(chunk);
      const entry = { chunk, ready: pending === undefined };
      held.push(entry);
      if (!pending) return;
      pending.then(
        () => {
          entry.ready = true;
          // Every line of a batch settles in this same microtask run: drain once, after the last.
          if (!draining) {
            draining = true;
            queueMicrotask(() => {
              draining = false;
              drain();
            });
          }
        },
        () => {
          failed = true;
          held.length = 0;
          end();
        },
      );
    },
    end() {
      if (ending) return;
      ending = true;
      if (held.length === 0 || failed) end();
    },
  };
}
