// The on-disk record of what was attached to each pod: per network, the config as resolved
// at ADD and the result, so DEL works after the NAD is deleted or the daemon restarted.
// Layout: <cacheDir>/pods/<containerId>/<NN>-<ifname>.json (NN = attachment order).
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkConfigList } from './config.ts';
import { CniCacheError } from './errors.ts';
import type { CniPod, CniResult } from './types.ts';

const KIND = 'pxevirt-cni-cache/v1';

/** One attached (or being attached) network of a pod. */
export interface CacheEntry {
  kind: typeof KIND;
  pod: CniPod;
  index: number;
  network: string;
  ifname: string;
  networkName: string;
  default: boolean;
  mac?: string;
  config: NetworkConfigList;
  cniArgs: string;
  /** Plugins whose ADD finished (all of them once `result` is set). */
  added: number;
  result?: CniResult;
}

/** A read-back failure for one file (the others are still returned). */
export interface CacheReadFailure {
  path: string;
  error: CniCacheError;
}

/** The cache rooted at `dir`. */
export function createCniCache(dir: string) {
  const podDir = (containerId: string) => join(dir, 'pods', containerId);
  const fileOf = (e: Pick<CacheEntry, 'pod' | 'index' | 'ifname'>) => join(podDir(e.pod.containerId), `${String(e.index).padStart(2, '0')}-${e.ifname}.json`);

  return {
    /** Writes an entry atomically (temp file + rename). */
    async write(entry: Omit<CacheEntry, 'kind'>): Promise<void> {
      await mkdir(podDir(entry.pod.containerId), { recursive: true, mode: 0o700 });
      const path = fileOf(entry);
      await writeFile(`${path}.tmp`, `${JSON.stringify({ kind: KIND, ...entry }, null, 2)}\n`, { mode: 0o600 });
      await rename(`${path}.tmp`, path);
    },

    /** The pod's entries in attachment order, and the files that could not be read. */
    async list(containerId: string): Promise<{ entries: CacheEntry[]; failures: CacheReadFailure[] }> {
      let names: string[];
      try {
        names = await readdir(podDir(containerId));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], failures: [] };
        throw err;
      }
      const entries: CacheEntry[] = [];
      const failures: CacheReadFailure[] = [];
      for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
        const path = join(podDir(containerId), name);
        try {
          const value = JSON.parse(await readFile(path, 'utf8')) as Partial<CacheEntry>;
          if (value.kind !== KIND || !value.config || !Array.isArray(value.config.plugins) || !value.pod) {
            failures.push({ path, error: new CniCacheError(path, `expected a ${KIND} entry with pod and config, found another shape`) });
          } else entries.push(value as CacheEntry);
        } catch (err) {
          failures.push({ path, error: new CniCacheError(path, `unreadable: ${(err as Error).message}`, { cause: err }) });
        }
      }
      entries.sort((a, b) => a.index - b.index);
      return { entries, failures };
    },

    /** Removes one entry's file. */
    async remove(entry: Pick<CacheEntry, 'pod' | 'index' | 'ifname'>): Promise<void> {
      await rm(fileOf(entry), { force: true });
    },

    /** Removes a file list() reported as unreadable. */
    async removeFile(path: string): Promise<void> {
      await rm(path, { force: true });
    },

    /** Removes the pod's directory when nothing is left in it (failed DELs keep their files). */
    async prune(containerId: string): Promise<void> {
      const names = await readdir(podDir(containerId)).catch(() => [] as string[]);
      for (const n of names.filter((x) => x.endsWith('.tmp'))) await rm(join(podDir(containerId), n), { force: true });
      if (names.every((n) => n.endsWith('.tmp'))) await rm(podDir(containerId), { recursive: true, force: true });
    },

    /** Removes the pod's directory whatever is in it. */
    async drop(containerId: string): Promise<void> {
      await rm(podDir(containerId), { recursive: true, force: true });
    },
  };
}

export type CniCache = ReturnType<typeof createCniCache>;
