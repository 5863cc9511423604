// The MAC pool's cursor in the data dir: `{"cursor": "02:…"}` in one small file, written
// atomically (temp file, fsync, rename) so a crash leaves the old cursor or the new one.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { normalizeMac } from '../lib/mac.ts';
import type { MacCursorStore } from './mac-admission.ts';

/** The file's name inside the data dir. */
export const MAC_CURSOR_FILE = 'mac-pool.json';

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

/** A cursor store kept in memory and persisted to `path` on every save. */
export function macCursorFile(path: string): MacCursorStore {
  let current = read(path);
  return {
    load: () => current,
    save: (cursor) => {
      const tmp = `${path}.tmp-${process.pid}`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, `${JSON.stringify({ cursor })}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      current = cursor;
    },
  };
}
