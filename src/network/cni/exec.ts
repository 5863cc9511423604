// Running a plugin binary: the one place here that spawns processes. Plugins run in the
// caller's (node) network namespace; the manager's tests inject their own runner.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

/** One plugin invocation: the binary, its CNI_* environment and its stdin. */
export interface PluginInvocation {
  /** The plugin type as written (`cnv-bridge`) and the binary that runs (`bridge`). */
  plugin: string;
  binary: string;
  path: string;
  /** Only the CNI_* variables; the runner adds the rest of the process environment. */
  env: Record<string, string>;
  stdin: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** How the plugin ended. */
export interface PluginOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** True when the runner killed it at the deadline. */
  timedOut?: boolean;
}

/** Runs a plugin; rejects only when it could not be started or the signal aborted. */
export type PluginRunner = (invocation: PluginInvocation) => Promise<PluginOutput>;

/** Finds a plugin binary in the plugin dirs (first executable match), as libcni's FindInPath. */
export async function findPlugin(binary: string, dirs: readonly string[]): Promise<string | undefined> {
  if (binary.includes('/') || binary === '.' || binary === '..') return undefined;
  for (const dir of dirs) {
    const path = join(dir, binary);
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** The real runner: spawns the binary with the CNI environment, config on stdin. */
export const execPlugin: PluginRunner = (inv) => spawnPlugin(inv, inv.path, []);

/**
 * A runner that runs plugins inside the node network namespace `netns` (`ip netns exec`), for
 * a daemon whose node is an isolated namespace (`pxevirt up --node-netns`).
 */
export const execPluginInNetns = (netns: string): PluginRunner => (inv) => spawnPlugin(inv, 'ip', ['netns', 'exec', netns, inv.path]);

function spawnPlugin(inv: PluginInvocation, command: string, args: string[]): Promise<PluginOutput> {
  return new Promise((resolve, reject) => {
    if (inv.signal?.aborted) {
      reject(inv.signal.reason);
      return;
    }
    // Inherited CNI_* variables (the daemon run as a plugin, tests) must not leak in.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CNI_')));
    const child = spawn(command, args, { env: { ...base, ...inv.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let aborted = false;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, inv.timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    inv.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A plugin that exits without reading its stdin closes the pipe: not our failure.
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      clearTimeout(timer);
      inv.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      inv.signal?.removeEventListener('abort', onAbort);
      if (aborted) {
        reject(inv.signal?.reason);
        return;
      }
      resolve({ exitCode: code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ...(timedOut ? { timedOut } : {}) });
    });
    child.stdin.end(inv.stdin);
  });
}
