// Nothing leaves the API before the writes it reflects are durable: a response waits for the
// store's pending sync (group commit, src/store/group-commit.ts), and a watch's lines are held,
// in order, until the writes they carry are synced. A burst of writes is then released together
// in one turn of the event loop, so each watcher's socket gets one write for the whole batch.
import type { ObjectStore } from '../store/types.ts';
import { isStream, type ApiResponse } from './http-types.ts';
import { memoForTurn } from '../lib/turn-memo.ts';

/** The response, deferred until the store's writes so far are durable (a sync failure becomes a 500). */
export function afterDurable(store: Pick<ObjectStore, 'durable'>, response: ApiResponse): ApiResponse {
  if (isStream(response.body)) return response;
  const pending = store.durable();
  if (!pending) return response;
  return { status: response.status, headers: response.headers, body: { deferred: pending.then(() => response) } };
}

/** Joins a batch of held chunks into the one chunk that leaves. */
export type JoinChunks = (chunks: readonly string[]) => string;

/**
 * A joiner shared by the watchers of one server: when a sync settles, every watcher of the same
 * changes releases the same lines (the same strings, serialised once), and they get the same
 * joined string, made once, so the socket writer can encode and frame it once too.
 */
export function sharedJoin(): JoinChunks {
  return memoForTurn(
    (chunks: readonly string[]) => chunks.join(''),
    (a, b) => a.length === b.length && a.every((c, i) => c === b[i]),
  );
}

/**
 * A stream writer that holds each chunk until the writes made before it are durable, keeping
 * the order; `end` waits for the held chunks. A failed sync ends the stream (the client relists).
 */
export function durableWriter(
  durable: () => Promise<void> | undefined,
  write: (chunk: string) => void,
  end: () => void,
  join: JoinChunks = (chunks) => chunks.join(''),
): { write: (chunk: string) => void; end: () => void } {
  // Held lines, each with the sync it waits for; syncs settle in order, so when one settles
  // every line up to the last that waited for it is ready.
  const held: Array<{ chunk: string; gate: Promise<void> | undefined }> = [];
  let ending = false;
  let failed = false;
  let ready = 0;
  /** The sync the last held line waits for: one reaction per sync, not one per line. */
  let watching: Promise<void> | undefined;
  const drain = () => {
    // The ready lines leave as one chunk: one HTTP chunk and one TLS record per watcher per batch.
    if (ready > 0) {
      const lines = held.splice(0, ready);
      ready = 0;
      write(lines.length === 1 ? lines[0]!.chunk : join(lines.map((h) => h.chunk)));
    }
    if (ending && held.length === 0) end();
  };
  const settled = (gate: Promise<void>) => {
    if (failed) return;
    for (let i = held.length - 1; i >= ready; i--) {
      if (held[i]!.gate !== gate) continue;
      ready = i + 1;
      break;
    }
    // Lines written when nothing was pending wait only for the lines before them.
    while (held[ready]?.gate === undefined && ready < held.length) ready++;
    if (watching === gate) watching = undefined;
    drain();
  };
  return {
    write(chunk) {
      if (failed || ending) return;
      const pending = durable();
      if (!pending && held.length === 0) return write(chunk);
      held.push({ chunk, gate: pending });
      if (!pending) {
        // Durable already, but behind held lines: it leaves with them, in order.
        return;
      }
      if (watching === pending) return;
      watching = pending;
      pending.then(
        () => settled(pending),
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
