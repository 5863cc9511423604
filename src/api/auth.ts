// Where a request's bearer token comes from: the Authorization header, or — for websocket
// upgrades only, since browsers cannot set headers on them — Kubernetes' subprotocol
// convention `base64url.bearer.authorization.k8s.io.<base64url(token)>`.
import { timingSafeEqual } from 'node:crypto';

export const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** The bearer token a request carries, or undefined when it carries none. */
export function bearerToken(headers: Record<string, string | undefined>): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
  if (m) return m[1]!.trim();
  if ((headers.upgrade ?? '').toLowerCase() !== 'websocket') return undefined;
  for (const protocol of (headers['sec-websocket-protocol'] ?? '').split(',')) {
    const p = protocol.trim();
    if (!p.startsWith(BEARER_PROTOCOL_PREFIX)) continue;
    const encoded = p.slice(BEARER_PROTOCOL_PREFIX.length);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
    return Buffer.from(encoded, 'base64url').toString('utf8');
  }
  return undefined;
}

/** The subprotocol that carries `token` (what a browser's websocket client offers). */
export function bearerProtocol(token: string): string {
  return BEARER_PROTOCOL_PREFIX + Buffer.from(token, 'utf8').toString('base64url');
}

/** Whether the request's bearer token is `token` (compared in constant time). */
export function carriesToken(headers: Record<string, string | undefined>, token: string): boolean {
  const bearer = bearerToken(headers);
  if (bearer === undefined) return false;
  const given = Buffer.from(bearer);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
