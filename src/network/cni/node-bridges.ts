// Bridges the CNI `bridge` plugin created on the node for pxevirt's pods. The plugin never
// deletes a bridge; pxevirt removes the ones it made once no port is left on them, so a
// node is back to its starting interfaces after its pods are gone. Bridges that existed
// before (made by an NNCP or by hand) are never touched.
import { execFile } from 'node:child_process';
import { access, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The node operations the manager needs besides running plugins (injected in unit tests). */
export interface CniHost {
  /** Whether a link of that name exists in the current (node) namespace. */
  linkExists(name: string): Promise<boolean>;
  /** A bridge's ports; undefined when it does not exist (or is no bridge). */
  bridgePorts(name: string): Promise<string[] | undefined>;
  /** Deletes a link. */
  deleteLink(name: string): Promise<void>;
  /** Whether the pod's netns (a name under /run/netns) still exists. */
  netnsExists(netns: string): Promise<boolean>;
}

const LINK = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

/** The node as this process sees it (/sys/class/net of its namespace, `ip link del`). */
export const nodeHost: CniHost = {
  async linkExists(name) {
    if (!LINK.test(name)) return false;
    return readdir(`/sys/class/net/${name}`).then(
      () => true,
      () => false,
    );
  },
  async bridgePorts(name) {
    if (!LINK.test(name)) return undefined;
    return readdir(`/sys/class/net/${name}/brif`).catch(() => undefined);
  },
  async deleteLink(name) {
    await run('ip', ['link', 'del', 'dev', name]);
  },
  async netnsExists(netns) {
    return access(`/run/netns/${netns}`).then(
      () => true,
      () => false,
    );
  },
};

/** The node as the namespace `netns` sees it (`ip -n`), for `pxevirt up --node-netns`. */
export function nodeHostIn(netns: string): CniHost {
  const ip = async (...args: string[]) => (await run('ip', ['-n', netns, ...args])).stdout;
  return {
    async linkExists(name) {
      if (!LINK.test(name)) return false;
      return ip('link', 'show', 'dev', name).then(
        () => true,
        () => false,
      );
    },
    async bridgePorts(name) {
      if (!LINK.test(name)) return undefined;
      const info = await ip('-d', '-j', 'link', 'show', 'dev', name).catch(() => undefined);
      const link = info ? (JSON.parse(info) as Array<{ linkinfo?: { info_kind?: string } }>)[0] : undefined;
      if (link?.linkinfo?.info_kind !== 'bridge') return undefined;
      const ports = JSON.parse((await ip('-j', 'link', 'show', 'master', name)).trim() || '[]') as Array<{ ifname: string }>;
      return ports.map((p) => p.ifname);
    },
    async deleteLink(name) {
      await ip('link', 'del', 'dev', name);
    },
    netnsExists: nodeHost.netnsExists,
  };
}

/** The set of bridges pxevirt's CNI created, persisted in one JSON file. */
export function createBridgeRegistry(path: string) {
  const read = async (): Promise<string[]> => {
    try {
      const value = JSON.parse(await readFile(path, 'utf8')) as { created?: unknown };
      return Array.isArray(value.created) ? value.created.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  };
  const write = async (names: string[]) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, `${JSON.stringify({ created: [...new Set(names)].sort() })}\n`);
    await rename(`${path}.tmp`, path);
  };
  return {
    read,
    async add(names: readonly string[]): Promise<void> {
      if (names.length === 0) return;
      await write([...(await read()), ...names]);
    },
    /**
     * Deletes every registered bridge that has no port left; forgets those gone. Returns the
     * names deleted.
     */
    async sweep(host: CniHost): Promise<{ deleted: string[]; errors: Error[] }> {
      const names = await read();
      if (names.length === 0) return { deleted: [], errors: [] };
      const keep: string[] = [];
      const deleted: string[] = [];
      const errors: Error[] = [];
      for (const name of names) {
        const ports = await host.bridgePorts(name);
        if (ports === undefined) continue;
        if (ports.length > 0) {
          keep.push(name);
          continue;
        }
        try {
          await host.deleteLink(name);
          deleted.push(name);
        } catch (err) {
          keep.push(name);
          errors.push(new Error(`deleting unused bridge ${name}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`, { cause: err }));
        }
      }
      await write(keep);
      return { deleted, errors };
    },
  };
}
