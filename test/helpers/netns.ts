// Throwaway "node" network namespaces for tests: a namespace with a bridge, client
// namespaces joined to it by veth pairs, taps for QEMU. Everything is removed in t.after,
// whatever the test's outcome; processes inside are ended by pid (they are ours: the
// namespace was made by this test).
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { isSpareNetns } from '../../src/runtime/netns-spare.ts';

const run = promisify(execFile);

export interface TestContextLike {
  after(fn: () => unknown): void;
}

/** Returns why namespace tests cannot run here, or undefined when they can. */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  try {
    await run('ip', ['-V']);
  } catch {
    return 'needs iproute2 (`ip`)';
  }
  return undefined;
}

/** Runs `ip` with arguments; throws with stderr on failure. */
export async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args);
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

export interface Namespace {
  readonly name: string;
  /** Runs a command inside the namespace and returns its stdout. */
  exec(cmd: string, args?: string[], options?: { timeoutMs?: number; input?: string }): Promise<{ stdout: string; stderr: string }>;
  /** Spawns a long-running process inside the namespace (in its own process group); it is ended at cleanup. */
  spawn(cmd: string, args?: string[], options?: SpawnOptions): ChildProcess;
}

export interface NodeNamespace extends Namespace {
  readonly bridge: string;
  /** The bridge's address with prefix, e.g. 192.168.100.1/24 (undefined when none was asked). */
  readonly address?: string;
  /** A client namespace joined to the bridge by a veth pair; its end is `eth0` with the given MAC. */
  addClient(options?: { mac?: string; address?: string }): Promise<Namespace>;
  /** A tap device in the node namespace, enslaved to the bridge, for a QEMU guest. */
  addTap(): Promise<string>;
}

let counter = 0;
const shortId = () => `${process.pid.toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}`;

function makeNamespace(name: string, children: Set<ChildProcess>): Namespace {
  return {
    name,
    async exec(cmd, args = [], options = {}) {
      return new Promise((resolve, reject) => {
        const child = execFile('ip', ['netns', 'exec', name, cmd, ...args], { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
          if (err) reject(Object.assign(new Error(`${cmd} ${args.join(' ')} in ${name}: ${stderr.trim() || err.message}`), { stdout, stderr, cause: err }));
          else resolve({ stdout, stderr });
        });
        if (options.input !== undefined) child.stdin?.end(options.input);
      });
    },
    spawn(cmd, args = [], options = {}) {
      const child = spawn('ip', ['netns', 'exec', name, cmd, ...args], { stdio: 'pipe', ...options, detached: true });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
  };
}

async function killAll(children: Set<ChildProcess>, nsNames: string[]): Promise<void> {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  // Anything else still running inside our own namespaces was started by this test.
  for (const ns of nsNames) {
    const pids = (await ip('netns', 'pids', ns).catch(() => '')).split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

/**
 * Creates a node namespace with a bridge (default `br0`, optional address) and registers
 * its removal, and that of every client namespace and process, with `t.after`.
 */
export async function createNodeNamespace(t: TestContextLike, options: { bridge?: string; address?: string; mtu?: number } = {}): Promise<NodeNamespace> {
  const name = `pxvt-${shortId()}`;
  const bridge = options.bridge ?? 'br0';
  const children = new Set<ChildProcess>();
  const namespaces = [name];
  t.after(async () => {
    await killAll(children, namespaces);
    for (const ns of namespaces.reverse()) await ip('netns', 'del', ns).catch(() => undefined);
  });
  await ip('netns', 'add', name);
  await ip('-n', name, 'link', 'set', 'lo', 'up');
  await ip('-n', name, 'link', 'add', bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0');
  if (options.mtu) await ip('-n', name, 'link', 'set', bridge, 'mtu', String(options.mtu));
  if (options.address) await ip('-n', name, 'addr', 'add', options.address, 'dev', bridge);
  await ip('-n', name, 'link', 'set', bridge, 'up');
  const base = makeNamespace(name, children);
  let taps = 0;
  let clients = 0;
  return {
    ...base,
    bridge,
    ...(options.address === undefined ? {} : { address: options.address }),
    async addClient(clientOptions = {}) {
      const cname = `pxvc-${shortId()}`;
      namespaces.push(cname);
      await ip('netns', 'add', cname);
      const hostEnd = `vc${clients++}`;
      await ip('-n', name, 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', cname);
      if (options.mtu) {
        await ip('-n', name, 'link', 'set', hostEnd, 'mtu', String(options.mtu));
        await ip('-n', cname, 'link', 'set', 'eth0', 'mtu', String(options.mtu));
      }
      await ip('-n', name, 'link', 'set', hostEnd, 'master', bridge, 'up');
      if (clientOptions.mac) await ip('-n', cname, 'link', 'set', 'eth0', 'address', clientOptions.mac);
      await ip('-n', cname, 'link', 'set', 'lo', 'up');
      await ip('-n', cname, 'link', 'set', 'eth0', 'up');
      if (clientOptions.address) await ip('-n', cname, 'addr', 'add', clientOptions.address, 'dev', 'eth0');
      return makeNamespace(cname, children);
    },
    async addTap() {
      const tap = `tap${taps++}`;
      await ip('-n', name, 'tuntap', 'add', 'dev', tap, 'mode', 'tap');
      await ip('-n', name, 'link', 'set', tap, 'master', bridge, 'up');
      return tap;
    },
  };
}

/**
 * Every network namespace whose name starts with `prefix` (a prefix unique to one test run),
 * pods and a daemon's spare alike: what a cleanup removes.
 */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  const names = await readdir('/run/netns').catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(prefix)).sort();
}

/**
 * The pods' namespaces under `prefix`, for assertions: all but a daemon's spare (made ahead of
 * a guest start, src/runtime/netns-spare.ts), of which there is at most one — more fails.
 */
export async function podNamespaces(prefix: string): Promise<string[]> {
  const names = await namespacesWithPrefix(prefix);
  const spares = names.filter(isSpareNetns);
  assert.ok(spares.length <= 1, `network namespaces under ${prefix}: expected at most one spare, found ${spares.join(', ')}`);
  return names.filter((n) => !isSpareNetns(n));
}

/**
 * Ends every process inside the namespaces named `prefix…` (by pid: they are this run's) and
 * deletes the namespaces; for t.after when a daemon was killed before it cleaned up its pods.
 */
export async function removeNamespaces(prefix: string): Promise<void> {
  for (const ns of await namespacesWithPrefix(prefix)) {
    for (const pid of (await ip('netns', 'pids', ns).catch(() => '')).split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await ip('netns', 'del', ns).catch(() => undefined);
  }
}
