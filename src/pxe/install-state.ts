// Per-host install state, pure: a boot that gets an installer hands out a done token; a POST
// of that token marks the host Provisioned; a `once` host that is Provisioned boots its disk
// until it is sent back (reprovision). Tokens expire and are bounded in number, hosts too.

export type HostInstallState = 'Installing' | 'Provisioned';

export interface HostInstall {
  mac: string;
  state: HostInstallState;
  image: string;
  /** When the last install boot was answered (ISO 8601). */
  installStartedAt: string;
  /** When the doneURL was called (ISO 8601), while Provisioned. */
  provisionedAt?: string;
  /** When the last local-boot answer was given (ISO 8601). */
  lastLocalBootAt?: string;
}

export interface DoneToken {
  token: string;
  mac: string;
  image: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface InstallState {
  /** By canonical MAC, least recently changed first. */
  hosts: Record<string, HostInstall>;
  /** Oldest first. */
  tokens: DoneToken[];
}

export interface InstallLimits {
  /** How long a doneURL stays valid. */
  tokenTtlMs: number;
  /** Tokens kept overall (oldest dropped first). */
  maxTokens: number;
  /** Tokens kept per host (oldest dropped first). */
  maxTokensPerHost: number;
  /** Hosts kept (least recently changed dropped first). */
  maxHosts: number;
}

export const DEFAULT_INSTALL_LIMITS: InstallLimits = { tokenTtlMs: 24 * 3600_000, maxTokens: 4096, maxTokensPerHost: 8, maxHosts: 4096 };

export const emptyInstallState = (): InstallState => ({ hosts: {}, tokens: [] });

const iso = (ms: number) => new Date(ms).toISOString();

/** Whether a host's boot gets its installer (`install`) or the local-boot answer (`local`). */
export function bootDecision(state: InstallState, mac: string, once: boolean): 'install' | 'local' {
  return once && state.hosts[mac]?.state === 'Provisioned' ? 'local' : 'install';
}

/** Records an install boot: the host is Installing and `token` is its new doneURL token. */
export function beginInstall(state: InstallState, boot: { mac: string; image: string; token: string }, now: number, limits: InstallLimits = DEFAULT_INSTALL_LIMITS): InstallState {
  const host: HostInstall = { mac: boot.mac, state: 'Installing', image: boot.image, installStartedAt: iso(now) };
  const tokens = [...state.tokens, { token: boot.token, mac: boot.mac, image: boot.image, expiresAt: now + limits.tokenTtlMs }];
  return prune({ hosts: withHost(state.hosts, host), tokens }, now, limits);
}

/** Records a local-boot answer (the time only; the state stays Provisioned). */
export function noteLocalBoot(state: InstallState, mac: string, now: number): InstallState {
  const host = state.hosts[mac];
  if (!host) return state;
  return { ...state, hosts: { ...state.hosts, [mac]: { ...host, lastLocalBootAt: iso(now) } } };
}

/** The result of a doneURL call: the host now Provisioned, or why nothing changed. */
export type DoneResult = { ok: true; state: InstallState; host: HostInstall } | { ok: false; reason: 'unknown-token' | 'expired' };

/** Marks the token's host Provisioned; an unknown or expired token changes nothing. */
export function completeInstall(state: InstallState, token: string, now: number): DoneResult {
  const found = state.tokens.find((t) => t.token === token);
  if (!found) return { ok: false, reason: 'unknown-token' };
  if (found.expiresAt <= now) return { ok: false, reason: 'expired' };
  const previous = state.hosts[found.mac];
  const host: HostInstall = {
    mac: found.mac,
    state: 'Provisioned',
    image: found.image,
    installStartedAt: previous?.installStartedAt ?? iso(now),
    provisionedAt: iso(now),
  };
  // Every token of the host is spent: a second POST (a retrying installer) is a 404, not a new install.
  const tokens = state.tokens.filter((t) => t.mac !== found.mac);
  return { ok: true, state: { hosts: withHost(state.hosts, host), tokens }, host };
}

/**
 * Sends a host back to install: forgets its state and tokens. With `provisionedBefore`, only a
 * host provisioned before that time (ISO 8601) is sent back, so a repeated request is idempotent.
 */
export function reprovision(state: InstallState, mac: string, provisionedBefore?: string): { state: InstallState; changed: boolean } {
  const host = state.hosts[mac];
  if (!host) return { state, changed: false };
  if (provisionedBefore !== undefined && (host.state !== 'Provisioned' || Date.parse(host.provisionedAt ?? '') >= Date.parse(provisionedBefore))) {
    return { state, changed: false };
  }
  const { [mac]: _gone, ...hosts } = state.hosts;
  return { state: { hosts, tokens: state.tokens.filter((t) => t.mac !== mac) }, changed: true };
}

/** The newest unexpired token of a host (for templates of files fetched after the script). */
export function currentToken(state: InstallState, mac: string, now: number): DoneToken | undefined {
  return state.tokens.findLast((t) => t.mac === mac && t.expiresAt > now);
}

/** Hosts for /status, most recently changed first. */
export function hostList(state: InstallState): HostInstall[] {
  return Object.values(state.hosts).reverse();
}

/** Drops expired tokens and everything over the limits. */
export function prune(state: InstallState, now: number, limits: InstallLimits = DEFAULT_INSTALL_LIMITS): InstallState {
  let tokens = state.tokens.filter((t) => t.expiresAt > now);
  const perHost = new Map<string, number>();
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i] as DoneToken;
    perHost.set(t.mac, (perHost.get(t.mac) ?? 0) + 1);
    if ((perHost.get(t.mac) ?? 0) > limits.maxTokensPerHost) tokens = tokens.filter((x) => x !== t);
  }
  if (tokens.length > limits.maxTokens) tokens = tokens.slice(tokens.length - limits.maxTokens);
  const entries = Object.entries(state.hosts);
  const hosts = entries.length > limits.maxHosts ? Object.fromEntries(entries.slice(entries.length - limits.maxHosts)) : state.hosts;
  return { hosts, tokens };
}

/** Parses a persisted state; anything malformed is left out (the file is the server's own, but may be truncated). */
export function parseInstallState(value: unknown): InstallState {
  const out = emptyInstallState();
  if (typeof value !== 'object' || value === null) return out;
  const v = value as { hosts?: unknown; tokens?: unknown };
  if (typeof v.hosts === 'object' && v.hosts !== null) {
    for (const h of Object.values(v.hosts as Record<string, unknown>)) {
      if (typeof h !== 'object' || h === null) continue;
      const x = h as Record<string, unknown>;
      if (typeof x.mac !== 'string' || (x.state !== 'Installing' && x.state !== 'Provisioned') || typeof x.image !== 'string' || typeof x.installStartedAt !== 'string') continue;
      out.hosts[x.mac] = {
        mac: x.mac,
        state: x.state,
        image: x.image,
        installStartedAt: x.installStartedAt,
        ...(typeof x.provisionedAt === 'string' ? { provisionedAt: x.provisionedAt } : {}),
        ...(typeof x.lastLocalBootAt === 'string' ? { lastLocalBootAt: x.lastLocalBootAt } : {}),
      };
    }
  }
  if (Array.isArray(v.tokens)) {
    for (const t of v.tokens as unknown[]) {
      if (typeof t !== 'object' || t === null) continue;
      const x = t as Record<string, unknown>;
      if (typeof x.token === 'string' && typeof x.mac === 'string' && typeof x.image === 'string' && typeof x.expiresAt === 'number') {
        out.tokens.push({ token: x.token, mac: x.mac, image: x.image, expiresAt: x.expiresAt });
      }
    }
  }
  return out;
}

/** Re-inserts a host last (Map/object order is recency). */
function withHost(hosts: Record<string, HostInstall>, host: HostInstall): Record<string, HostInstall> {
  const { [host.mac]: _old, ...rest } = hosts;
  return { ...rest, [host.mac]: host };
}
