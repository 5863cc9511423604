// The MAC pool's cursor in the data dir: `{"cursor": "02:…"}` in one small file, written
// atomically (temp file, fsync, rename, fsync of the directory) so a crash leaves the old
// cursor or the new one. The file is written ahead, not per MAC: it holds a reservation, a MAC
// at or after every MAC handed out so far (a database sequence's cache, as PostgreSQL logs its
// sequences ahead). While the cursor stays inside the reservation a MAC costs no disk write;
// when it would pass it, a new reservation `block` MACs further on is written and synced before
// the MAC is handed out (so before the object carrying it is committed). A restart after
// kill -9 or power loss starts after the reservation: no MAC handed out before is handed out
// again, at the price of skipping at most `block` MACs. close() writes the exact cursor, so a
// clean restart skips nothing. See docs/decisions.md, "MAC cursor written ahead".
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { normalizeMac } from '../lib/mac.ts';
import type { MacCursorStore } from './mac-admission.ts';
import { advanceInRange, distanceInRange, macToNumber, numberToMac, type MacRange } from './mac-pool.ts';

/** The file's name inside the data dir. */
export const MAC_CURSOR_FILE = 'mac-pool.json';

/** MACs reserved per write, at most (a small range reserves a quarter of itself). */
export const MAC_RESERVATION_BLOCK = 1024;

function read(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // A damaged file only costs the cursor: the next MAC then starts at a random offset.
  try {
    const doc = JSON.parse(text) as { cursor?: unknown };
    return typeof doc.cursor === 'string' ? normalizeMac(doc.cursor) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `{"cursor": …}` to `path` durably (temp file, fsync, rename, directory fsync). */
function write(path: string, cursor: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify({ cursor })}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export interface MacCursorFileOptions {
  /** The pool's range: a reservation is `block` MACs further on in it, wrapping. */
  range: MacRange;
  /** MACs reserved per write (default MAC_RESERVATION_BLOCK, and at most a quarter of the range). */
  block?: number;
  /** Counts the file writes (tests). */
  onWrite?: (cursor: string) => void;
}

/** A cursor store kept in memory and persisted ahead to `path` (see the file comment). */
export function macCursorFile(path: string, options: MacCursorFileOptions): MacCursorStore & { close(): void } {
  const { range } = options;
  const size = range.last - range.first + 1;
  const block = Math.max(1, Math.min(options.block ?? MAC_RESERVATION_BLOCK, Math.floor(size / 4)));
  const persist = (cursor: string) => {
    write(path, cursor);
    options.onWrite?.(cursor);
  };
  // After a restart the loaded cursor is the last reservation: every MAC handed out is at or before it.
  let current = read(path);
  const loaded = current === undefined ? undefined : macToNumber(current);
  // A cursor of another range (the setting changed) reserves nothing here.
  let reserved = loaded !== undefined && loaded >= range.first && loaded <= range.last ? loaded : undefined;
  // Where the reservation was taken from: MACs in (base, reserved] may be handed out without a write.
  let base = reserved;
  let exact = true;
  return {
    load: () => current,
    save: (cursor) => {
      const n = macToNumber(cursor);
      if (n === undefined) return;
      current = cursor;
      exact = false;
      const inside = base !== undefined && reserved !== undefined && n >= range.first && n <= range.last && distanceInRange(range, base, n) <= distanceInRange(range, base, reserved);
      if (inside) return;
      const next = advanceInRange(range, n, block);
      persist(numberToMac(next));
      base = n;
      reserved = next;
    },
    close: () => {
      if (exact || current === undefined) return;
      persist(current);
      base = reserved = macToNumber(current);
      exact = true;
    },
  };
}
