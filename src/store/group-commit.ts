// Group commit: SQLite commits with synchronous=NORMAL (the WAL is written with write(2), which
// survives kill -9 of the process), and one fdatasync of the WAL file, on libuv's thread pool,
// makes every commit made so far durable against power loss too. At most one sync is in flight;
// commits made while it runs share the next one. Callers hold acknowledgements (HTTP responses,
// watch events sent to clients) until durable() settles, so nothing leaves the process before it
// would survive a power loss, while the event loop keeps serving during the sync and a burst of N
// concurrent writes costs one sync instead of N. fdatasync on our own descriptor flushes the
// file's data whoever wrote it (it is per inode); the WAL file keeps its inode while the database
// is open (SQLite resets it by overwriting from the start, never by unlinking it).
import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../lib/logger.ts';
import { DurabilityError } from './errors.ts';

/** What fdatasync is called through (a test passes a slow or failing one). */
export type SyncFile = (fd: number, done: (err: Error | null) => void) => void;

/** A promise with its settle functions: the commits one sync covers share it. */
interface Batch {
  promise: Promise<void>;
  ok: () => void;
  fail: (err: Error) => void;
}

function batch(): Batch {
  let ok!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => ((ok = resolve), (fail = reject)));
  // A failure with no caller waiting must not become an unhandled rejection (it is logged).
  promise.catch(() => undefined);
  return { promise, ok, fail };
}

/** The durability of one database's commits: note each commit, then wait for durable(). */
export class GroupCommit {
  readonly #walPath: string;
  readonly #logger: Logger;
  readonly #sync: SyncFile;
  #fd: number | undefined;
  #committed = 0;
  #durable = 0;
  #scheduled = false;
  #closed = false;
  /** The sync running on the thread pool: the commits up to `target`. */
  #inFlight: (Batch & { target: number }) | undefined;
  /** The commits after the running sync's target: they share the next sync, hence one promise. */
  #next: Batch | undefined;

  constructor(databasePath: string, logger: Logger, sync: SyncFile = fdatasync) {
    this.#walPath = `${databasePath}-wal`;
    this.#logger = logger;
    this.#sync = sync;
    // The WAL file's directory entry must be durable too (SQLite syncs it only when it syncs the WAL).
    const dir = openSync(dirname(databasePath), 'r');
    try {
      fdatasyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  /** Notes a commit (call right after it returns); its sync starts once this turn of the event loop ends. */
  committed(): void {
    this.#committed++;
    if (!this.#inFlight) this.#schedule();
  }

  /**
   * Starts the next sync once this turn of the event loop ends: after the requests that are
   * ready now were served, so their commits share it (larger batches: fewer syncs, and fewer
   * writes to each watcher, which gets one per sync).
   */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  /**
   * Settles when every commit noted so far is durable; undefined when they all are already.
   * Every caller until the next sync starts gets the same promise (a watcher holding lines
   * waits once per sync, not once per write).
   */
  durable(): Promise<void> | undefined {
    if (this.#durable >= this.#committed) return undefined;
    if (this.#inFlight && this.#inFlight.target >= this.#committed) return this.#inFlight.promise;
    this.#next ??= batch();
    return this.#next.promise;
  }

  /** Syncs what is left (synchronously) and releases the descriptor; the database closes after this. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    let failure: unknown;
    if (this.#durable < this.#committed && this.#fd !== undefined) {
      try {
        fdatasyncSync(this.#fd);
      } catch (error) {
        failure = error;
      }
    }
    // A sync still running on the thread pool closes the descriptor when it returns.
    if (!this.#inFlight) this.#release();
    // Whatever is still unsynced is synced by SQLite's own checkpoint at close.
    const waiting = [this.#inFlight, this.#next];
    this.#next = undefined;
    this.#durable = this.#committed;
    if (failure !== undefined) this.#report(failure, waiting);
    else for (const b of waiting) b?.ok();
  }

  #release(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** The WAL's descriptor, reopened if the file was replaced. */
  #walFd(): number {
    if (this.#fd !== undefined && statSync(this.#walPath).ino === fstatSync(this.#fd).ino) return this.#fd;
    this.#release();
    this.#fd = openSync(this.#walPath, 'r');
    return this.#fd;
  }

  #flush(): void {
    if (this.#inFlight || this.#closed || this.#durable >= this.#committed) return;
    const target = this.#committed;
    const running = { ...(this.#next ?? batch()), target };
    this.#next = undefined;
    let fd: number;
    try {
      fd = this.#walFd();
    } catch (error) {
      this.#durable = Math.max(this.#durable, target);
      this.#report(error, [running]);
      return;
    }
    this.#inFlight = running;
    this.#sync(fd, (err) => {
      this.#inFlight = undefined;
      // Counted as settled even on failure, so later commits are not held behind a sync that will never succeed for them.
      this.#durable = Math.max(this.#durable, target);
      if (err) this.#report(err, [running]);
      else running.ok();
      if (this.#closed) this.#release();
      else if (this.#durable < this.#committed) this.#schedule();
    });
  }

  #report(error: unknown, batches: Array<Batch | undefined>): void {
    const failure = new DurabilityError(this.#walPath, { cause: error });
    this.#logger.error({ err: error, wal: this.#walPath }, 'syncing the store to disk failed; the writes waiting for it are refused');
    for (const b of batches) b?.fail(failure);
  }
}
