// The lease table persisted as <stateDir>/leases.json so a restarted server keeps its leases
// (issue 13). Writes are durable: temp file created 0600 whatever the umask, fsync, rename,
// fsync of the directory; grouped: every change applied before flush() is on disk when
// flush() resolves, and concurrent flushes share one write. An empty or corrupt file is
// moved aside (leases.json.corrupt-<time>) and the server starts with an empty table,
// saying so through `recovered`.
import { chmod, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LeaseFileError, LeaseTable, parseLeases, serializeLeases, type LeaseChange, type LeaseTableLimits } from './leases.ts';
import { shownPath } from '../held-dir.ts';

export const LEASE_FILE = 'leases.json';
/** Lease files are readable by root alone: they name every client on the segment. */
const FILE_MODE = 0o600;

/** What happened when the lease file could not be used at start-up. */
export interface LeasesRecovered {
  reason: 'LeasesFileEmpty' | 'LeasesFileCorrupt';
  /** Where the bad file was moved. */
  movedTo: string;
  message: string;
  /** ISO time of the recovery. */
  at: string;
}

/** Where a bad lease file is moved: beside it, named by the time (colons left out). */
export function corruptName(file: string, now: number): string {
  return `${file}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '')}`;
}

/** Reads a lease file's text into leases, or says why it cannot be used (pure). */
export function readLeaseText(text: string, file: string): { leases: ReturnType<typeof parseLeases> } | { error: LeaseFileError; reason: LeasesRecovered['reason'] } {
  try {
    return { leases: parseLeases(text, file) };
  } catch (err) {
    if (!(err instanceof LeaseFileError)) throw err;
    return { error: err, reason: text.trim() === '' ? 'LeasesFileEmpty' : 'LeasesFileCorrupt' };
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface LeaseStoreOptions extends LeaseTableLimits {
  now?: () => number;
}

/** The persisted lease table. */
export class LeaseStore extends LeaseTable {
  readonly file: string;
  readonly dir: string;
  /** Set when start-up found a bad lease file and moved it aside. */
  readonly recovered: LeasesRecovered | undefined;
  #generation = 0;
  #flushed = 0;
  #writing: Promise<void> | undefined;

  private constructor(dir: string, leases: ReturnType<typeof parseLeases>, recovered: LeasesRecovered | undefined, limits: LeaseTableLimits) {
    super(leases, limits);
    this.dir = dir;
    this.file = join(dir, LEASE_FILE);
    this.recovered = recovered;
  }

  /** Loads <stateDir>/leases.json (absent → empty; empty or corrupt → moved aside, empty). */
  static async open(stateDir: string, options: LeaseStoreOptions = {}): Promise<LeaseStore> {
    const now = options.now ?? Date.now;
    const limits = { ...(options.capacity === undefined ? {} : { capacity: options.capacity }), ...(options.maxOffers === undefined ? {} : { maxOffers: options.maxOffers }) };
    const file = join(stateDir, LEASE_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new LeaseStore(stateDir, [], undefined, limits);
      throw new LeaseFileError(shownPath(file), 'a readable file', (err as NodeJS.ErrnoException).code ?? String(err), err);
    }
    const read = readLeaseText(text, shownPath(file));
    if ('leases' in read) {
      await chmod(file, FILE_MODE); // files written by older versions were 0644
      return new LeaseStore(stateDir, read.leases, undefined, limits);
    }
    const movedTo = corruptName(file, now());
    await rename(file, movedTo);
    await chmod(movedTo, FILE_MODE);
    await syncDir(stateDir);
    const message = `${read.error.message.replace(/; fix or remove it$/, '')}; moved it to ${shownPath(movedTo)} and started with no leases`;
    return new LeaseStore(stateDir, [], { reason: read.reason, movedTo: shownPath(movedTo), message, at: new Date(now()).toISOString() }, limits);
  }

  override apply(changes: readonly LeaseChange[]): boolean {
    const durable = super.apply(changes);
    if (durable) this.#generation++;
    return durable;
  }

  /** Resolves once every durable change applied so far is on disk; concurrent calls share writes. */
  async flush(): Promise<void> {
    const target = this.#generation;
    while (this.#flushed < target) {
      if (this.#writing) {
        await this.#writing.catch(() => undefined);
        continue;
      }
      const generation = this.#generation;
      this.#writing = this.#write()
        .then(() => {
          this.#flushed = Math.max(this.#flushed, generation);
        })
        .finally(() => {
          this.#writing = undefined;
        });
      await this.#writing;
    }
  }

  async #write(): Promise<void> {
    const tmp = `${this.file}.tmp-${process.pid}`;
    const data = serializeLeases(this.all());
    const fh = await open(tmp, 'w', FILE_MODE);
    try {
      await fh.chmod(FILE_MODE); // the umask may have taken bits, or an old temp file had others
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, this.file);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await syncDir(this.dir);
  }
}
