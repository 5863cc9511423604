// The lease table: in memory for the responder, persisted as <stateDir>/leases.json so a
// restarted server keeps its leases. Writes are atomic (temp file, rename) and
// grouped: every change made before flush() is on disk when flush() resolves.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export type LeaseState = 'offered' | 'bound' | 'declined';

export interface Lease {
  ip: string;
  mac: string;
  /** Option 61 as hex, when the client sent one; then it is the client's identity. */
  clientId?: string;
  hostname?: string;
  state: LeaseState;
  /** Milliseconds since the epoch. An expired lease is free, but remembered for affinity. */
  expiresAt: number;
}

/** What the responder asks the table to do. */
export type LeaseChange = { kind: 'set'; lease: Lease } | { kind: 'delete'; ip: string };

/** Read access the responder needs. */
export interface LeaseView {
  get(ip: string): Lease | undefined;
  all(): Iterable<Lease>;
}

/** A lease as shown in status output. */
export interface LeaseInfo {
  ip: string;
  mac: string;
  hostname?: string;
  state: LeaseState;
  expiresAt: string;
  expired: boolean;
}

/** The lease file is unreadable or not what pxevirt writes. */
export class LeaseFileError extends Error {
  readonly file: string;
  constructor(file: string, expected: string, found: string, cause?: unknown) {
    super(`bad lease file ${file}: expected ${expected}, found ${found}; fix or remove it`, cause === undefined ? {} : { cause });
    this.name = 'LeaseFileError';
    this.file = file;
  }
}

export const LEASE_FILE = 'leases.json';
const FILE_VERSION = 1;

/** An in-memory lease table (also the pure part of LeaseStore, used directly in tests). */
export class LeaseTable implements LeaseView {
  protected readonly byIp = new Map<string, Lease>();

  constructor(leases: Iterable<Lease> = []) {
    for (const l of leases) this.byIp.set(l.ip, l);
  }
  get(ip: string): Lease | undefined {
    return this.byIp.get(ip);
  }
  all(): Iterable<Lease> {
    return this.byIp.values();
  }
  /** Applies changes; returns true when one of them must reach the disk (anything but offers). */
  apply(changes: readonly LeaseChange[]): boolean {
    let durable = false;
    for (const change of changes) {
      const before = this.byIp.get(change.kind === 'set' ? change.lease.ip : change.ip);
      if (change.kind === 'set') this.byIp.set(change.lease.ip, change.lease);
      else this.byIp.delete(change.ip);
      const after = change.kind === 'set' ? change.lease : undefined;
      if ((before && before.state !== 'offered') || (after && after.state !== 'offered')) durable = true;
    }
    return durable;
  }
  /** Status view, sorted by address. */
  list(now: number): LeaseInfo[] {
    return [...this.byIp.values()]
      .sort((a, b) => compareIp(a.ip, b.ip))
      .map((l) => ({
        ip: l.ip,
        mac: l.mac,
        ...(l.hostname === undefined ? {} : { hostname: l.hostname }),
        state: l.state,
        expiresAt: new Date(l.expiresAt).toISOString(),
        expired: l.expiresAt <= now,
      }));
  }
}

function compareIp(a: string, b: string): number {
  const n = (s: string) => s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return n(a) - n(b);
}

/** Serialises the durable leases (offers are not kept across restarts). */
export function serializeLeases(leases: Iterable<Lease>): string {
  const list = [...leases].filter((l) => l.state !== 'offered').sort((a, b) => compareIp(a.ip, b.ip));
  return `${JSON.stringify({ version: FILE_VERSION, leases: list }, null, 1)}\n`;
}

/** Parses a lease file's text; throws LeaseFileError naming the file and the bad entry. */
export function parseLeases(text: string, file: string): Lease[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new LeaseFileError(file, 'JSON', `a syntax error (${(err as Error).message})`, err);
  }
  const o = doc as { version?: unknown; leases?: unknown };
  if (typeof doc !== 'object' || doc === null || o.version !== FILE_VERSION || !Array.isArray(o.leases)) {
    throw new LeaseFileError(file, `an object with version ${FILE_VERSION} and a leases list`, JSON.stringify(doc)?.slice(0, 80) ?? String(doc));
  }
  return o.leases.map((raw: unknown, i): Lease => {
    const l = raw as Partial<Lease>;
    const ok =
      typeof raw === 'object' && raw !== null &&
      typeof l.ip === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(l.ip) &&
      typeof l.mac === 'string' &&
      (l.state === 'bound' || l.state === 'declined') &&
      typeof l.expiresAt === 'number' && Number.isFinite(l.expiresAt) &&
      (l.clientId === undefined || typeof l.clientId === 'string') &&
      (l.hostname === undefined || typeof l.hostname === 'string');
    if (!ok) throw new LeaseFileError(file, `leases[${i}] with ip, mac, state bound|declined and numeric expiresAt`, JSON.stringify(raw)?.slice(0, 120) ?? String(raw));
    return {
      ip: l.ip!, mac: l.mac!, state: l.state!, expiresAt: l.expiresAt!,
      ...(l.clientId === undefined ? {} : { clientId: l.clientId }),
      ...(l.hostname === undefined ? {} : { hostname: l.hostname }),
    };
  });
}

/** The persisted lease table. */
export class LeaseStore extends LeaseTable {
  readonly file: string;
  #generation = 0;
  #flushed = 0;
  #writing: Promise<void> | undefined;

  private constructor(file: string, leases: Lease[]) {
    super(leases);
    this.file = file;
  }

  /** Loads <stateDir>/leases.json (absent → empty). */
  static async open(stateDir: string): Promise<LeaseStore> {
    const file = join(stateDir, LEASE_FILE);
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new LeaseFileError(file, 'a readable file', (err as NodeJS.ErrnoException).code ?? String(err), err);
      }
    }
    return new LeaseStore(file, text === undefined ? [] : parseLeases(text, file));
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
    const fh = await open(tmp, 'w', 0o644);
    try {
      // No fsync: the file must survive the server being killed (the page cache does),
      // not a power cut — the same promise dnsmasq makes; fsync per ACK halves throughput.
      await fh.writeFile(data);
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, this.file);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
}
