// The web UI's session cookie: a stateless value signed with the API token, so a new token
// (or a daemon with another data dir) ends every session, and nothing is kept in memory.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'pxevirt-session';

/** How long a sign-in lasts. */
export const SESSION_SECONDS = 12 * 3600;

function mac(token: string, expires: number): string {
  return createHmac('sha256', token).update(`pxevirt-ui-session.v1.${expires}`).digest('base64url');
}

/** A session value that expires `SESSION_SECONDS` after `now` (milliseconds). */
export function signSession(token: string, now: number): string {
  const expires = Math.floor(now / 1000) + SESSION_SECONDS;
  return `v1.${expires}.${mac(token, expires)}`;
}

/** Whether `value` was signed with `token` and has not expired at `now`. */
export function verifySession(token: string, value: string | undefined, now: number): boolean {
  const m = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  if (!m) return false;
  const expires = Number(m[1]);
  if (expires * 1000 <= now) return false;
  const given = Buffer.from(m[2]!);
  const want = Buffer.from(mac(token, expires));
  return given.length === want.length && timingSafeEqual(given, want);
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie header for a session value (empty value and Max-Age=0 signs out). */
export function sessionCookie(value: string): string {
  const maxAge = value === '' ? 0 : SESSION_SECONDS;
  return `${SESSION_COOKIE}=${value}; Path=/ui; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`;
}

/** Compares a presented token with the API token in constant time. */
export function tokenMatches(given: string, token: string): boolean {
  const a = Buffer.from(given.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
