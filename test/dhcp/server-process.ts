// Starts `pxevirt pxe serve` (or DHCP alone, test/helpers/run-dhcp.ts) inside a test's node namespace and
// waits for its ready line; stop() sends SIGTERM and waits for the exit.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Namespace, TestContextLike } from '../helpers/netns.ts';

const RUNNER = fileURLToPath(new URL('../helpers/run-dhcp.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PXEVIRT = join(REPO, 'bin', 'pxevirt');

export interface DhcpProcess {
  /** The server's pid (`ip netns exec` execs it). */
  readonly pid: number | undefined;
  readonly lines: Array<Record<string, unknown>>;
  readonly stateDir: string;
  stop(): Promise<void>;
  leaseFile(): Promise<{ version: number; leases: Array<{ ip: string; mac: string; clientId?: string; state: string; expiresAt: number }> }>;
}

/** A scratch directory removed in t.after. */
export async function scratchDir(t: TestContextLike, prefix = 'pxvt-dhcp-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A config for the bridge of a node namespace at 192.168.100.1/24. */
export function testConfig(root: string, dhcp: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    interface: 'br0',
    address: '192.168.100.1/24',
    dhcp: { mode: 'server', range: '192.168.100.10-192.168.100.250', leaseSeconds: 3600, ...dhcp },
    root,
    http: { port: 8080 },
  };
}

export interface StartOptions {
  /** `info` (default) or `debug`: `pxe serve` logs its ready line at info. */
  level?: 'info' | 'debug';
  readyMs?: number;
  nodeArgs?: string[];
  /** `pxe-serve` (default): the real `pxevirt pxe serve` (DHCP, TFTP, HTTP); `runner`: DHCP alone (test/helpers/run-dhcp.ts). */
  via?: 'pxe-serve' | 'runner';
  /** More `pxe serve` arguments (e.g. `--user`). */
  extraArgs?: string[];
}

/** Runs the DHCP server in `ns` with `config`, keeping leases in `stateDir`. */
export async function startDhcpProcess(ns: Namespace, config: Record<string, unknown>, stateDir: string, options: StartOptions = {}): Promise<DhcpProcess> {
  const configPath = join(stateDir, '..', `config-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(configPath, JSON.stringify(config));
  const level = options.level ?? 'info';
  const args =
    (options.via ?? 'pxe-serve') === 'pxe-serve'
      ? [PXEVIRT, 'pxe', 'serve', '--config', configPath, '--state-dir', stateDir, '--log-level', level, ...(options.extraArgs ?? [])]
      : ['--import', 'tsx', RUNNER, configPath, stateDir, level];
  const child: ChildProcess = ns.spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], { cwd: REPO });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`DHCP server did not log "ready" within ${options.readyMs ?? 30_000} ms; stderr: ${stderr.slice(-2000)}`)), options.readyMs ?? 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          lines.push(rec);
          if (rec.msg === 'ready') {
            clearTimeout(timer);
            resolve();
          }
        } catch {
          lines.push({ raw: line });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`DHCP server exited with ${code} before ready; stderr: ${stderr.slice(-2000)}`));
    });
  });
  return {
    pid: child.pid,
    lines,
    stateDir,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      const pid = child.pid;
      const signal = (name: NodeJS.Signals) => {
        try {
          process.kill(-pid, name);
        } catch {
          /* already gone (the namespace cleanup may have ended it) */
        }
      };
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async leaseFile() {
      return JSON.parse(await readFile(join(stateDir, 'leases.json'), 'utf8')) as Awaited<ReturnType<DhcpProcess['leaseFile']>>;
    },
  };
}
