// Runs `pxevirt pxe serve` inside a test's node namespace and collects its JSON log lines.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { NodeNamespace, TestContextLike } from './netns.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const pxevirtBin = join(repoRoot, 'bin/pxevirt');

export type LogLine = Record<string, unknown> & { msg?: string; proto?: string; event?: string; mac?: string };

export interface RunningPxe {
  lines: LogLine[];
  root: string;
  stateDir: string;
  /** Resolves with the first log line (already seen or coming) that satisfies the predicate. */
  waitForLog(pred: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Events logged for one MAC, as `proto event` strings. */
  eventsFor(mac: string): string[];
  stop(): Promise<void>;
}

/** A temp dir removed in t.after. */
export async function tempDir(t: TestContextLike, prefix = 'pxevirt-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Copies built guest images into `root/<name>/{vmlinuz,initrd.gz}`. */
export async function stageImage(root: string, name: string, image: { kernel: string; initrd: string }): Promise<void> {
  await mkdir(join(root, name), { recursive: true });
  await copyFile(image.kernel, join(root, name, 'vmlinuz'));
  await copyFile(image.initrd, join(root, name, 'initrd.gz'));
}

/** The image entry of the config for a staged guest image. */
export function imageEntry(name: string, cmdline = 'console=ttyS0 quiet no_timer_check'): Record<string, unknown> {
  return { name, kernel: `${name}/vmlinuz`, initrd: [`${name}/initrd.gz`], cmdline };
}

/** Starts `pxevirt pxe serve` in the node namespace with this config; waits for "ready". */
export async function startPxeServe(
  t: TestContextLike,
  node: NodeNamespace,
  config: Record<string, unknown>,
  options: { root?: string; stateDir?: string; args?: string[] } = {},
): Promise<RunningPxe> {
  const work = await tempDir(t, 'pxevirt-pxe-');
  const root = options.root ?? join(work, 'root');
  const stateDir = options.stateDir ?? join(work, 'state');
  await mkdir(root, { recursive: true });
  const configPath = join(work, 'pxe.json');
  await writeFile(configPath, JSON.stringify({ root, ...config }, null, 2));
  const child = node.spawn(process.execPath, [pxevirtBin, 'pxe', 'serve', '--config', configPath, '--state-dir', stateDir, '--log-level', 'debug', ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters = new Set<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    lines.push(line);
    for (const w of waiters) if (w.pred(line)) (waiters.delete(w), w.resolve(line));
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
    }
  };
  t.after(stop);
  const waitForLog = (pred: (l: LogLine) => boolean, what: string, timeoutMs = 120_000) =>
    new Promise<LogLine>((res, rej) => {
      const seen = lines.find(pred);
      if (seen) return res(seen);
      const w = { pred, resolve: (l: LogLine) => (clearTimeout(timer), res(l)) };
      const timer = setTimeout(() => {
        waiters.delete(w);
        rej(new Error(`timed out after ${timeoutMs} ms waiting for the PXE server to log ${what}; stderr: ${stderr.slice(-2000)}; last lines:\n${lines.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`));
      }, timeoutMs);
      waiters.add(w);
      void exited.then(() => {
        if (waiters.has(w)) {
          waiters.delete(w);
          clearTimeout(timer);
          rej(new Error(`the PXE server exited while waiting for ${what}; stderr: ${stderr.slice(-2000)}`));
        }
      });
    });
  await waitForLog((l) => l.msg === 'ready', '"ready"', 30_000);
  return {
    lines,
    root,
    stateDir,
    waitForLog,
    eventsFor: (mac) => lines.filter((l) => l.mac === mac && l.proto && l.event).map((l) => `${l.proto} ${l.event}`),
    stop,
  };
}

/**
 * The PXEServer the seed scenario's prerequisites ask for: on the seed NAD (`pxe-net-conf`,
 * br1) at 192.168.77.1/24, leasing .100–.150, every host booting `image` staged under `root`.
 */
export function seedPxeServer(root: string, image: string, cmdline?: string): Record<string, unknown> {
  return {
    apiVersion: 'pxe.pxevirt.io/v1alpha1',
    kind: 'PXEServer',
    metadata: { name: 'pxe' },
    spec: {
      network: 'pxe-net-conf',
      interface: 'net1',
      address: '192.168.77.1/24',
      dhcp: { mode: 'server', range: '192.168.77.100-192.168.77.150' },
      root,
      images: [imageEntry(image, cmdline)],
      defaultImage: image,
    },
  };
}

/** A PXEServer manifest on the seed NAD (pxe-net-conf) at 192.168.100.1/24 with root `images`; `spec` adds to or overrides those. */
export function seedNadPxeServer(name: string, spec: Record<string, unknown>): { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> } {
  return { apiVersion: 'pxe.pxevirt.io/v1alpha1', kind: 'PXEServer', metadata: { name, namespace: 'default' }, spec: { network: 'pxe-net-conf', address: '192.168.100.1/24', root: 'images', ...spec } };
}

/** A `pxe serve` config leasing `range` on `iface` and booting every host into `tiny-linux`. */
export function tinyLinuxServer(iface: string, address: string, range: string, cmdline?: string): Record<string, unknown> {
  return {
    interface: iface,
    address,
    dhcp: { mode: 'server', range, leaseSeconds: 600 },
    http: { port: 8080 },
    images: [cmdline === undefined ? imageEntry('tiny-linux') : imageEntry('tiny-linux', cmdline)],
    defaultImage: 'tiny-linux',
  };
}
