// When to answer a router solicitation (pure, clock and timers injected). Answers only while no
// other router has been heard on the segment recently, and after a short delay during which
// another router's answer cancels ours (routers delay solicited RAs up to 500 ms, RFC 4861 §6.2.6).

export interface AnswererOptions {
  now: () => number;
  setTimer: (fn: () => void, ms: number) => { cancel(): void };
  /** Sends our (empty) advertisement. */
  answer: (solicitor: { mac?: string; source: string }) => void;
  /** Reports a decision for the log/timeline. */
  note: (what: 'silent-other-router' | 'other-router', detail: { mac?: string; source: string }) => void;
  /** Delay before answering, ms. */
  delayMs?: number;
  /** How long another router's advertisement keeps us silent, ms. */
  otherRouterMemoryMs?: number;
  /** Pending answers kept at most (a solicitation flood does not grow memory). */
  maxPending?: number;
}

export class RouterSolicitationAnswerer {
  readonly #o: Required<AnswererOptions>;
  #otherRouterSeenAt = -Infinity;
  readonly #pending = new Map<string, { cancel(): void }>();

  constructor(options: AnswererOptions) {
    this.#o = { delayMs: 50, otherRouterMemoryMs: 30 * 60_000, maxPending: 64, ...options };
  }

  get otherRouterActive(): boolean {
    return this.#o.now() - this.#otherRouterSeenAt < this.#o.otherRouterMemoryMs;
  }

  onSolicitation(source: string, mac: string | undefined): void {
    const who = { source, ...(mac === undefined ? {} : { mac }) };
    if (this.otherRouterActive) return this.#o.note('silent-other-router', who);
    if (this.#pending.has(source) || this.#pending.size >= this.#o.maxPending) return;
    const timer = this.#o.setTimer(() => {
      this.#pending.delete(source);
      if (!this.otherRouterActive) this.#o.answer(who);
    }, this.#o.delayMs);
    this.#pending.set(source, timer);
  }

  /** Another router's advertisement (never our own: the caller filters by source address). */
  onOtherAdvertisement(source: string, mac: string | undefined): void {
    const first = !this.otherRouterActive;
    this.#otherRouterSeenAt = this.#o.now();
    for (const t of this.#pending.values()) t.cancel();
    this.#pending.clear();
    if (first) this.#o.note('other-router', { source, ...(mac === undefined ? {} : { mac }) });
  }

  close(): void {
    for (const t of this.#pending.values()) t.cancel();
    this.#pending.clear();
  }
}
