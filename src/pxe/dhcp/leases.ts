// The lease table in memory, bounded (issue 13): entries are keyed by addresses of the range,
// at most `capacity` of them, and at most `maxOffers` pending offers (the oldest offer is
// dropped first: an offer binds nobody). Persisted by LeaseStore (lease-file.ts).

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
  /** True when no new address may be added (existing entries can still be reused). */
  full(): boolean;
  /** The offer made longest ago, if any (reclaimed when the range has no free address). */
  oldestOffer(): Lease | undefined;
  /** Leases that may belong to this client (same MAC or same client-id): a superset of sameClient's. */
  candidates(client: { mac: string; clientId?: string }): Iterable<Lease>;
}

/** Default bounds of a lease table. */
export const LEASE_LIMITS = { capacity: 65_536, maxOffers: 1024 } as const;

export interface LeaseTableLimits {
  capacity?: number;
  maxOffers?: number;
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

const FILE_VERSION = 1;

/** An in-memory lease table (also the pure part of LeaseStore, used directly in tests). */
export class LeaseTable implements LeaseView {
  protected readonly byIp = new Map<string, Lease>();
  /** Pending offers in the order they were made (Map order). */
  readonly #offers = new Map<string, Lease>();
  /** Addresses by MAC and by client-id: a client's leases without a scan of the table. */
  readonly #byMac = new Map<string, Set<string>>();
  readonly #byClientId = new Map<string, Set<string>>();
  readonly capacity: number;
  readonly maxOffers: number;

  constructor(leases: Iterable<Lease> = [], limits: LeaseTableLimits = {}) {
    this.capacity = limits.capacity ?? LEASE_LIMITS.capacity;
    this.maxOffers = limits.maxOffers ?? LEASE_LIMITS.maxOffers;
    for (const l of leases) {
      if (this.byIp.size >= this.capacity) break;
      this.#set(l);
    }
  }
  get(ip: string): Lease | undefined {
    return this.byIp.get(ip);
  }
  all(): Iterable<Lease> {
    return this.byIp.values();
  }
  full(): boolean {
    return this.byIp.size >= this.capacity;
  }
  oldestOffer(): Lease | undefined {
    return this.#offers.values().next().value;
  }
  candidates(client: { mac: string; clientId?: string }): Lease[] {
    const ips = new Set(this.#byMac.get(client.mac));
    if (client.clientId !== undefined) for (const ip of this.#byClientId.get(client.clientId) ?? []) ips.add(ip);
    const out: Lease[] = [];
    for (const ip of ips) {
      const l = this.byIp.get(ip);
      if (l) out.push(l);
    }
    return out;
  }
  /** Entry counts, for /status (proof that a flood stays bounded). */
  sizes(): { leases: number; offers: number; capacity: number; maxOffers: number } {
    return { leases: this.byIp.size, offers: this.#offers.size, capacity: this.capacity, maxOffers: this.maxOffers };
  }
  /** Applies changes; returns true when one of them must reach the disk (anything but offers). */
  apply(changes: readonly LeaseChange[]): boolean {
    let durable = false;
    for (const change of changes) {
      const ip = change.kind === 'set' ? change.lease.ip : change.ip;
      const before = this.byIp.get(ip);
      if (change.kind === 'set') {
        // A new address beyond capacity is refused here too (the responder checks full() first).
        if (!before && this.byIp.size >= this.capacity) continue;
        this.#set(change.lease);
      } else if (before) {
        this.#remove(before);
      }
      const after = change.kind === 'set' ? change.lease : undefined;
      if ((before && before.state !== 'offered') || (after && after.state !== 'offered')) durable = true;
    }
    while (this.#offers.size > this.maxOffers) {
      const oldest = this.#offers.keys().next().value;
      if (oldest === undefined) break;
      const lease = this.byIp.get(oldest);
      if (lease) this.#remove(lease);
      else this.#offers.delete(oldest);
    }
    return durable;
  }
  #set(lease: Lease): void {
    const before = this.byIp.get(lease.ip);
    if (before) this.#unindex(before);
    this.byIp.set(lease.ip, lease);
    index(this.#byMac, lease.mac, lease.ip);
    if (lease.clientId !== undefined) index(this.#byClientId, lease.clientId, lease.ip);
    this.#offers.delete(lease.ip); // re-inserted last: Map order is the order offers were made
    if (lease.state === 'offered') this.#offers.set(lease.ip, lease);
  }
  #remove(lease: Lease): void {
    this.byIp.delete(lease.ip);
    this.#offers.delete(lease.ip);
    this.#unindex(lease);
  }
  #unindex(lease: Lease): void {
    unindex(this.#byMac, lease.mac, lease.ip);
    if (lease.clientId !== undefined) unindex(this.#byClientId, lease.clientId, lease.ip);
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

function index(map: Map<string, Set<string>>, key: string, ip: string): void {
  const set = map.get(key);
  if (set) set.add(ip);
  else map.set(key, new Set([ip]));
}

function unindex(map: Map<string, Set<string>>, key: string, ip: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(ip);
  if (set.size === 0) map.delete(key);
}

function ipNumber(s: string): number {
  return s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function compareIp(a: string, b: string): number {
  return ipNumber(a) - ipNumber(b);
}

/** Serialises the durable leases (offers are not kept across restarts). */
export function serializeLeases(leases: Iterable<Lease>): string {
  // Keys computed once (sorting with compareIp parsed each address ~log n times: 3% of a packet's time).
  const list = [...leases]
    .filter((l) => l.state !== 'offered')
    .map((l) => ({ l, key: ipNumber(l.ip) }))
    .sort((a, b) => a.key - b.key)
    .map((e) => e.l);
  return `${JSON.stringify({ version: FILE_VERSION, leases: list }, null, 1)}\n`;
}

/** Parses a lease file's text; throws LeaseFileError naming the file and the bad entry. */
export function parseLeases(text: string, file: string): Lease[] {
  if (text.trim() === '') throw new LeaseFileError(file, 'JSON', 'an empty file');
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
