// Who is asking: HTTP Basic or a session's X-Auth-Token, checked against the daemon's own
// account (`admin`, the API token as password: every system) and each VM's credentials from
// the Secret its annotation names (that VM's system, manager and chassis only).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The annotation on a VM naming a Secret (same namespace) with `username` and `password` keys. */
export const CREDENTIALS_ANNOTATION = 'bmc.pxevirt.io/credentials-secret';

export const ADMIN_USER = 'admin';

/** What a signed-in user may reach: every system, or those of the listed VM uids. */
export type Principal = { user: string; all: true } | { user: string; all: false; uids: ReadonlySet<string> };

/** A VM's BMC account, read from its Secret. */
export interface VmAccount {
  uid: string;
  username: string;
  password: string;
}

export interface Session {
  id: string;
  token: string;
  principal: Principal;
  createdAt: number;
  lastUsed: number;
}

/** Bounds: sessions are kept in memory only, at most this many, each ended after this idle time. */
export const SESSION_LIMITS = { maxSessions: 256, timeoutSeconds: 1800 } as const;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
/** Constant-time equality of two strings (their digests have the same length). */
export const sameSecret = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

/** The principal for a user name and password, or undefined when nothing matches. */
export function authenticate(username: string, password: string, adminPassword: string, accounts: readonly VmAccount[]): Principal | undefined {
  // Every comparison is made, so the time taken does not tell which account exists.
  const admin = sameSecret(username, ADMIN_USER) && sameSecret(password, adminPassword);
  const uids = new Set<string>();
  for (const a of accounts) if (sameSecret(username, a.username) && sameSecret(password, a.password)) uids.add(a.uid);
  if (admin) return { user: ADMIN_USER, all: true };
  return uids.size > 0 ? { user: username, all: false, uids } : undefined;
}

/** The user and password of an `Authorization: Basic …` header, or undefined when it carries none. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Whether a principal may reach the system of a VM uid. */
export const mayReach = (p: Principal, uid: string): boolean => p.all || p.uids.has(uid);

/** The sessions of the SessionService, bounded in number and idle time; the clock is injected. */
export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  constructor(private readonly now: () => number) {}

  /** A new session; the oldest goes when the table is full. */
  create(principal: Principal): Session {
    this.expire();
    if (this.sessions.size >= SESSION_LIMITS.maxSessions) this.sessions.delete(this.sessions.keys().next().value as string);
    const at = this.now();
    const session: Session = { id: randomBytes(8).toString('hex'), token: randomBytes(24).toString('base64url'), principal, createdAt: at, lastUsed: at };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session whose token this is (its idle clock restarts), or undefined. */
  byToken(token: string): Session | undefined {
    this.expire();
    for (const s of this.sessions.values()) {
      if (sameSecret(s.token, token)) {
        s.lastUsed = this.now();
        return s;
      }
    }
    return undefined;
  }

  get(id: string): Session | undefined {
    this.expire();
    return this.sessions.get(id);
  }

  delete(id: string): boolean {
    return this.sessions.delete(id);
  }

  /** The live sessions a principal may see: all for the admin, its own user's otherwise. */
  list(p: Principal): Session[] {
    this.expire();
    return [...this.sessions.values()].filter((s) => p.all || s.principal.user === p.user);
  }

  private expire(): void {
    const cutoff = this.now() - SESSION_LIMITS.timeoutSeconds * 1000;
    for (const [id, s] of this.sessions) if (s.lastUsed < cutoff) this.sessions.delete(id);
  }
}
