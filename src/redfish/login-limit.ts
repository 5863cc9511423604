// Failed Redfish logins, limited per client address: after MAX_FAILURES wrong passwords within
// WINDOW_SECONDS, that address's logins (Basic or a new session) are refused with 429 for
// BLOCK_SECONDS without checking the password. A success does not clear the count (else one
// valid account could interleave guesses at another's password); failures age out with the
// window. The table is bounded; the oldest entry goes when it is full. The clock is injected.
import { RedfishError } from './errors.ts';

export const LOGIN_LIMITS = { maxFailures: 5, windowSeconds: 60, blockSeconds: 30, maxClients: 1024 } as const;

interface Entry {
  failures: number;
  windowStart: number;
  blockedUntil: number;
}

/** Counts failed logins by client and refuses a client that failed too often. */
export class LoginLimiter {
  private readonly clients = new Map<string, Entry>();
  constructor(
    private readonly now: () => number,
    private readonly limits: { maxFailures: number; windowSeconds: number; blockSeconds: number; maxClients: number } = LOGIN_LIMITS,
  ) {}

  /** Throws 429 (Base ServiceTemporarilyUnavailable, Retry-After) when the client may not try now. */
  check(client: string): void {
    const e = this.clients.get(client);
    const now = this.now();
    if (!e || e.blockedUntil <= now) return;
    const seconds = Math.ceil((e.blockedUntil - now) / 1000);
    throw new RedfishError('ServiceTemporarilyUnavailable', [String(seconds)], `${this.limits.maxFailures} failed logins from ${client} within ${this.limits.windowSeconds} s: logins from it are refused for ${seconds} s more.`);
  }

  /** A wrong user name or password from the client. */
  failed(client: string): void {
    const now = this.now();
    let e = this.clients.get(client);
    if (!e || now - e.windowStart > this.limits.windowSeconds * 1000) {
      this.clients.delete(client);
      if (this.clients.size >= this.limits.maxClients) this.clients.delete(this.clients.keys().next().value as string);
      e = { failures: 0, windowStart: now, blockedUntil: 0 };
      this.clients.set(client, e);
    }
    e.failures++;
    if (e.failures >= this.limits.maxFailures) e.blockedUntil = now + this.limits.blockSeconds * 1000;
  }

  get size(): number {
    return this.clients.size;
  }
}
