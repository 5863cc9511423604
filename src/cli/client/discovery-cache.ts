// Discovery kept on disk between runs, as kubectl keeps it (~/.kube/cache, six hours): a CLI
// run that names a known resource then makes one request instead of one per API group. A
// name the cached list does not know refreshes it once (Discovery.resolve), so a server that
// gained a kind is seen at once. Files are 0600 in 0700 directories, read with a size cap,
// and a corrupt or foreign file is ignored.
import { mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceInfo } from './discovery.ts';

/** kubectl's discovery cache lifetime. */
export const DISCOVERY_TTL_MS = 6 * 60 * 60 * 1000;
const MAX_BYTES = 4 * 1024 * 1024;

export interface DiscoveryCache {
  load(): ResourceInfo[] | undefined;
  save(resources: readonly ResourceInfo[]): void;
}

/** `$KUBECACHEDIR`, else `$HOME/.kube/cache` (kubectl's --cache-dir default); undefined without either. */
export function cacheDir(env: { KUBECACHEDIR?: string | undefined; HOME?: string | undefined }): string | undefined {
  if (env.KUBECACHEDIR) return env.KUBECACHEDIR;
  return env.HOME ? join(env.HOME, '.kube', 'cache') : undefined;
}

const isResource = (r: unknown): r is ResourceInfo => {
  const o = r as Record<string, unknown>;
  return typeof o === 'object' && o !== null && typeof o.resource === 'string' && typeof o.kind === 'string' && typeof o.group === 'string' && typeof o.version === 'string' && Array.isArray(o.shortNames) && Array.isArray(o.verbs) && Array.isArray(o.categories);
};

/**
 * FNV-1a, 64 bits, as 16 hex digits: names the cache file per server and credentials. Not
 * node:crypto's SHA-256, whose module costs ~10% of `pxevirt get` to load (docs/benchmarks.md);
 * the name only keeps credentials apart (the file also records its server, checked on load) and
 * sits in the user's own 0700 directory, so nothing here needs a cryptographic hash.
 */
export function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

/** The cache for one server URL (and credentials: a different token may see other kinds one day). */
export function fileDiscoveryCache(dir: string, server: string, identity: string, now: () => number = Date.now): DiscoveryCache {
  const host = server.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 100);
  const file = join(dir, 'pxevirt', 'discovery', `${host}-${fnv1a64(`${server}\n${identity}`)}.json`);
  return {
    load() {
      try {
        const st = statSync(file);
        if (!st.isFile() || st.size > MAX_BYTES || now() - st.mtimeMs > DISCOVERY_TTL_MS || st.mtimeMs > now() + 60_000) return undefined;
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as { server?: unknown; resources?: unknown };
        if (parsed.server !== server || !Array.isArray(parsed.resources) || !parsed.resources.every(isResource)) return undefined;
        return parsed.resources;
      } catch {
        return undefined;
      }
    },
    save(resources) {
      try {
        mkdirSync(join(dir, 'pxevirt', 'discovery'), { recursive: true, mode: 0o700 });
        const tmp = `${file}.${process.pid}.tmp`;
        const fd = openSync(tmp, 'w', 0o600);
        try {
          writeSync(fd, JSON.stringify({ server, resources }));
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, file);
      } catch {
        // A cache that cannot be written only costs the next run its discovery requests.
      }
    },
  };
}
