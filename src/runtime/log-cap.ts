// Keeps a log that another process appends to (QEMU's serial.log and qemu.log, both opened
// O_APPEND) under a cap, keeping its newest part: when the file passes halfway between
// `keepBytes` and `maxBytes` (the other half is room for what the writer adds while a trim
// runs), its last `keepBytes` stay in place (truncate, then append them back), and the part before them goes
// to `<file>.1`, replacing the previous one. Readers of the file's end (the console's
// backlog, `pxevirt logs`) see the latest output throughout. Checks run when the file changes
// (inotify) and on a slow timer, at most one at a time per file. Limit: a write that lands in
// the microseconds between the trim's last read and its truncate is lost (no lock is shared
// with QEMU); everything before and after is kept.
import { closeSync, ftruncateSync, openSync, readSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import type { Logger } from '../lib/logger.ts';

export interface LogCapLimits {
  /** The cap: the file is trimmed well before it reaches this. */
  maxBytes: number;
  /** What stays in the file after a trim (its newest bytes); a quarter of maxBytes by default. */
  keepBytes?: number;
}

/** serial.log: 16 MiB, of which 4 MiB (the API's log limit) always stay; qemu.log: 1 MiB. */
export const SERIAL_LOG_LIMITS: Readonly<Required<LogCapLimits>> = { maxBytes: 16 * 1024 * 1024, keepBytes: 4 * 1024 * 1024 };
export const QEMU_LOG_LIMITS: Readonly<Required<LogCapLimits>> = { maxBytes: 1024 * 1024, keepBytes: 256 * 1024 };

const keepOf = (l: LogCapLimits) => Math.min(l.keepBytes ?? Math.floor(l.maxBytes / 4), l.maxBytes);
/** The size past which a file is trimmed: halfway from keepBytes to maxBytes. */
export const trimAt = (l: LogCapLimits): number => Math.floor((keepOf(l) + l.maxBytes) / 2);

/** Trims `path` once if it is past trimAt; returns whether it did. Never throws for a missing file. */
export async function trimLog(path: string, limits: LogCapLimits): Promise<boolean> {
  const keep = keepOf(limits);
  const fh = await open(path, 'r').catch(() => undefined);
  if (fh === undefined) return false;
  let older: Buffer;
  let tailStart: number;
  try {
    const size = (await fh.stat()).size;
    if (size <= trimAt(limits)) return false;
    tailStart = size - keep;
    const olderStart = Math.max(0, tailStart - (trimAt(limits) - keep));
    older = Buffer.alloc(tailStart - olderStart);
    await fh.read(older, 0, older.length, olderStart);
  } finally {
    await fh.close();
  }
  const rotated = `${path}.1`;
  const tmp = `${rotated}.tmp`;
  const out = await open(tmp, 'w', 0o600);
  await out.writeFile(older).finally(() => out.close());
  await rename(tmp, rotated);
  // The tail (from tailStart to whatever the writer has appended by now), the truncate and the
  // tail's append-back run synchronously back to back, so a write can only fall into the few
  // microseconds between the last read and the truncate. O_APPEND on both sides: the writer's
  // next bytes land after the tail.
  const fd = openSync(path, 'a+');
  try {
    const parts: Buffer[] = [];
    for (let pos = tailStart; ; ) {
      const chunk = Buffer.alloc(256 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      parts.push(chunk.subarray(0, n));
      pos += n;
    }
    ftruncateSync(fd, 0);
    const tail = Buffer.concat(parts);
    writeSync(fd, tail.length > keep ? tail.subarray(tail.length - keep) : tail);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Watches files and trims each past its cap until close(). */
export class LogCap {
  private readonly watchers: FSWatcher[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly busy = new Set<string>();
  private readonly again = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly files: ReadonlyArray<{ path: string; limits: LogCapLimits }>,
    private readonly options: { log?: Logger; intervalMs?: number } = {},
  ) {
    for (const f of files) {
      try {
        const w = watch(f.path, () => this.check(f.path, f.limits));
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // Not there yet: the timer checks it.
      }
      this.check(f.path, f.limits);
    }
    this.timer = setInterval(() => {
      for (const f of files) this.check(f.path, f.limits);
    }, options.intervalMs ?? 5000);
    this.timer.unref();
  }

  private check(path: string, limits: LogCapLimits): void {
    if (this.closed) return;
    if (this.busy.has(path)) {
      this.again.add(path);
      return;
    }
    this.busy.add(path);
    const p: Promise<void> = trimLog(path, limits)
      .then(
        (trimmed) => trimmed && this.options.log?.debug({ path, maxBytes: limits.maxBytes }, 'log trimmed to its newest part'),
        (err: unknown) => this.options.log?.warn({ path, err: String(err) }, 'cannot trim log'),
      )
      .then(() => undefined)
      .finally(() => {
        this.running.delete(p);
        this.busy.delete(path);
        if (this.again.delete(path)) this.check(path, limits);
      });
    this.running.add(p);
  }

  /** Stops watching (the files stay as they are); resolves once a trim under way is done. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const w of this.watchers) w.close();
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
