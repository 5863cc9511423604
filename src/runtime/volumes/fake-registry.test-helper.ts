// An in-memory registry behind a fetch function, for unit tests of the client and cache.
import { createHash } from 'node:crypto';
import type { FetchLike } from './registry-client.ts';

export const sha = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface FakeRegistry {
  fetch: FetchLike;
  requests: string[];
  /** Stores a blob (or manifest) and returns its digest. */
  blob(data: Buffer | string): string;
  manifest(ref: string, body: unknown, mediaType: string): string;
  /** Require `Bearer <token>` from a token endpoint on every /v2 request. */
  requireToken(token: string): void;
}

export function fakeRegistry(base = 'http://reg.test'): FakeRegistry {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { body: Buffer; mediaType: string }>();
  const requests: string[] = [];
  let token: string | undefined;
  const fetchFn: FetchLike = async (url, init) => {
    requests.push(url);
    const headers = new Headers(init.headers);
    const u = new URL(url);
    if (u.pathname === '/token') {
      return new Response(JSON.stringify({ token, scope: u.searchParams.get('scope'), service: u.searchParams.get('service') }), { status: 200 });
    }
    if (token !== undefined && headers.get('authorization') !== `Bearer ${token}`) {
      return new Response('{"errors":[{"code":"UNAUTHORIZED"}]}', {
        status: 401,
        headers: { 'www-authenticate': `Bearer realm="${base}/token",service="reg.test",scope="repository:${u.pathname.split('/').slice(2, -2).join('/')}:pull"` },
      });
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(u.pathname);
    if (m?.[2] === 'manifests') {
      const found = manifests.get(`${m[1]}@${m[3]}`);
      if (!found) return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', { status: 404 });
      return new Response(found.body, { status: 200, headers: { 'content-type': found.mediaType } });
    }
    if (m?.[2] === 'blobs') {
      const found = blobs.get(m[3]!);
      if (!found) return new Response('{"errors":[{"code":"BLOB_UNKNOWN"}]}', { status: 404 });
      return new Response(found, { status: 200, headers: { 'content-length': String(found.length) } });
    }
    return new Response('not found', { status: 404 });
  };
  return {
    fetch: fetchFn,
    requests,
    blob(data) {
      const buf = Buffer.from(data);
      const digest = sha(buf);
      blobs.set(digest, buf);
      return digest;
    },
    manifest(ref, body, mediaType) {
      const buf = Buffer.from(JSON.stringify(body));
      const digest = sha(buf);
      const [repo, tag] = ref.split(':') as [string, string];
      manifests.set(`${repo}@${tag}`, { body: buf, mediaType });
      manifests.set(`${repo}@${digest}`, { body: buf, mediaType });
      return digest;
    },
    requireToken(t) {
      token = t;
    },
  };
}
