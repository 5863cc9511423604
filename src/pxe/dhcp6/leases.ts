// DHCPv6 address bindings (IA_NA) from one configured range, keyed by DUID and IAID.
// In memory and bounded: at most `max` bindings; expired ones are reused first.
import { formatIpv6 } from '../../lib/ipv6.ts';

export interface Binding6 {
  key: string;
  address: bigint;
  expires: number;
  mac?: string;
}

/** Bindings kept at most by default (a flood of DUIDs cannot grow memory past this). */
export const DEFAULT_MAX_BINDINGS = 4096;

export class Bindings6 {
  readonly #start: bigint;
  readonly #end: bigint;
  readonly #max: number;
  readonly #byKey = new Map<string, Binding6>();
  readonly #byAddress = new Map<bigint, Binding6>();

  constructor(range: { start: bigint; end: bigint }, max = DEFAULT_MAX_BINDINGS) {
    this.#start = range.start;
    this.#end = range.end;
    const size = range.end - range.start + 1n;
    this.#max = Number(size < BigInt(max) ? size : BigInt(max));
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** The address for this binding: its current one, else the requested one when free and in range, else the first free; undefined when the table is full of live bindings. */
  pick(key: string, requested: readonly bigint[], now: number): bigint | undefined {
    const own = this.#byKey.get(key);
    if (own) return own.address;
    const free = (a: bigint) => {
      const b = this.#byAddress.get(a);
      return a >= this.#start && a <= this.#end && (b === undefined || b.expires <= now);
    };
    if (this.#byKey.size >= this.#max && !this.#evictOneExpired(now)) return undefined;
    for (const r of requested) if (free(r)) return r;
    // At most size+1 candidates are looked at: every taken one is in the map.
    for (let a = this.#start, n = 0; a <= this.#end && n <= this.#byKey.size; a++, n++) if (free(a)) return a;
    return undefined;
  }

  /** Records (or extends) a binding. */
  commit(key: string, address: bigint, expires: number, mac?: string): void {
    this.release(key);
    const stale = this.#byAddress.get(address);
    if (stale) this.release(stale.key);
    const b: Binding6 = { key, address, expires, ...(mac === undefined ? {} : { mac }) };
    this.#byKey.set(key, b);
    this.#byAddress.set(address, b);
  }

  /** The binding's address, when it holds one that has not expired. */
  addressOf(key: string, now: number): bigint | undefined {
    const b = this.#byKey.get(key);
    return b && b.expires > now ? b.address : undefined;
  }

  release(key: string): void {
    const b = this.#byKey.get(key);
    if (!b) return;
    this.#byKey.delete(key);
    if (this.#byAddress.get(b.address) === b) this.#byAddress.delete(b.address);
  }

  /** Live bindings for /status. */
  list(now: number): Array<{ mac?: string; ip: string; expiresAt: string }> {
    return [...this.#byKey.values()].filter((b) => b.expires > now).map((b) => ({ ...(b.mac === undefined ? {} : { mac: b.mac }), ip: formatIpv6(b.address), expiresAt: new Date(b.expires).toISOString() }));
  }

  #evictOneExpired(now: number): boolean {
    for (const b of this.#byKey.values()) {
      if (b.expires <= now) {
        this.release(b.key);
        return true;
      }
    }
    return false;
  }
}
