// How many TFTP transfers may run at once, per client address and overall. A transfer holds
// a socket, an open file and read-ahead buffers until it ends or times out, so spoofed or
// abandoned requests must not be able to pile them up.

export interface TransferCapLimits {
  /** Transfers one client address may have running (a booting machine needs one or two). */
  perClient: number;
  /** Transfers running in all. */
  overall: number;
}

export const DEFAULT_CAPS: TransferCapLimits = { perClient: 8, overall: 128 };

export type Admission = { ok: true } | { ok: false; cap: 'per-client' | 'overall'; limit: number };

export interface CapStats {
  active: number;
  clients: number;
  limits: TransferCapLimits;
  /** Requests refused because a cap was reached, since start. */
  refused: { perClient: number; overall: number };
  /** Silent transfers ended to make room for a new request at the overall cap, since start. */
  evicted: number;
}

/** Counts running transfers; the per-client map only holds addresses with one running, so it is bounded by `overall`. */
export class TransferCaps {
  readonly #limits: TransferCapLimits;
  readonly #byClient = new Map<string, number>();
  #active = 0;
  #refusedPerClient = 0;
  #refusedOverall = 0;
  #evicted = 0;

  constructor(limits: TransferCapLimits = DEFAULT_CAPS) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`expected caps.${name} to be a positive integer, found ${String(value)}`);
    }
    this.#limits = { ...limits };
  }

  /**
   * Takes a slot for `ip` when both caps allow it; the caller must release() it exactly once.
   * At the overall cap, `evict` may end another transfer (which releases its slot) to make room.
   */
  admit(ip: string, evict: () => boolean = () => false): Admission {
    const mine = this.#byClient.get(ip) ?? 0;
    if (mine >= this.#limits.perClient) {
      this.#refusedPerClient++;
      return { ok: false, cap: 'per-client', limit: this.#limits.perClient };
    }
    if (this.#active >= this.#limits.overall) {
      const before = this.#active;
      if (!evict() || this.#active >= before) {
        this.#refusedOverall++;
        return { ok: false, cap: 'overall', limit: this.#limits.overall };
      }
      this.#evicted++;
    }
    this.#byClient.set(ip, (this.#byClient.get(ip) ?? 0) + 1);
    this.#active++;
    return { ok: true };
  }

  /** Gives back a slot taken by admit(ip). */
  release(ip: string): void {
    const mine = this.#byClient.get(ip);
    if (mine === undefined) return;
    if (mine <= 1) this.#byClient.delete(ip);
    else this.#byClient.set(ip, mine - 1);
    this.#active--;
  }

  stats(): CapStats {
    return {
      active: this.#active,
      clients: this.#byClient.size,
      limits: { ...this.#limits },
      refused: { perClient: this.#refusedPerClient, overall: this.#refusedOverall },
      evicted: this.#evicted,
    };
  }
}
