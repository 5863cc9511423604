// Starts `pxevirt up` as a child process on a free port with a temp data dir, and runs the
// real kubectl (or raw HTTPS requests) against it. Everything is stopped and removed in t.after.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContextLike } from '../helpers/netns.ts';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'bin/pxevirt');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => Record<string, unknown>;
}

export interface DaemonProcess {
  dataDir: string;
  kubeconfig: string;
  port: number;
  token: string;
  child: ChildProcess;
  /** Everything the daemon logged on stderr so far. */
  log(): string;
  /** Runs kubectl with this daemon's kubeconfig; never rejects. */
  kubectl(args: string[], input?: string): Promise<Run>;
  /** A raw HTTPS request (token added unless `token` is given, '' for none). */
  http(method: string, path: string, options?: { body?: string | Buffer; contentType?: string; token?: string; accept?: string }): Promise<HttpResult>;
  /** SIGKILL, then wait for exit. */
  kill9(): Promise<void>;
  /** Graceful stop (SIGTERM), resolving with the exit code. */
  stop(): Promise<number | null>;
}

/** Whether the machine has kubectl (the tests skip with this reason otherwise). */
export function kubectlMissing(): string | undefined {
  try {
    execFileSyncQuiet('kubectl', ['version', '--client']);
    return undefined;
  } catch {
    return 'kubectl is not installed';
  }
}

function execFileSyncQuiet(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'ignore' });
}

/** A temp data dir removed after the test. */
export function tempDataDir(t: TestContextLike): string {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-api-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface DaemonProcessOptions {
  /** Run the controllers (default false: API tests write status by hand and start no guests). */
  controllers?: boolean;
  /** More `pxevirt up` arguments (e.g. --registry-mirror, --node-name). */
  args?: string[];
  /** Run the daemon inside this network namespace (`ip netns exec NS …`). */
  netns?: string;
  /** How long to wait for the KUBECONFIG line (default 30 s). */
  startTimeoutMs?: number;
  /** Timeout of each `kubectl` run (default 60 s). */
  kubectlTimeoutMs?: number;
  /** Node options for the daemon (e.g. --cpu-prof for a benchmark's profile, which NODE_OPTIONS may not carry): runs `node OPTIONS bin/pxevirt`. */
  nodeArgs?: string[];
}

/** Starts the daemon on `dataDir` (a new temp dir when omitted) and waits for its KUBECONFIG line. */
export async function startDaemonProcess(t: TestContextLike, dataDir = tempDataDir(t), options: DaemonProcessOptions = {}): Promise<DaemonProcess> {
  const upArgs = ['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...(options.controllers ? [] : ['--no-controllers']), ...(options.args ?? [])];
  const bin = options.nodeArgs ? [process.execPath, ...options.nodeArgs, BIN] : [BIN];
  const [cmd, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, ...bin, ...upArgs]] : [bin[0], [...bin.slice(1), ...upArgs]];
  const child = spawn(cmd as string, argv as string[], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => ((exited = true), done(code))));
  t.after(async () => {
    if (!exited && child.pid) {
      process.kill(-child.pid, 'SIGKILL');
      await exit;
    }
  });
  const kubeconfig = await new Promise<string>((ok, fail) => {
    let out = '';
    const startTimeoutMs = options.startTimeoutMs ?? 30_000;
    const timer = setTimeout(() => fail(new Error(`pxevirt up printed no KUBECONFIG line within ${startTimeoutMs / 1000} s; stderr: ${stderr}`)), startTimeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^export KUBECONFIG=(.+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!.trim());
      }
    });
    child.once('exit', (code) => (clearTimeout(timer), fail(new Error(`pxevirt up exited with ${code} before listening; stderr: ${stderr}`))));
  });
  const config = readFileSync(kubeconfig, 'utf8');
  const port = Number(/server: https:\/\/127\.0\.0\.1:(\d+)/.exec(config)?.[1]);
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const ca = readFileSync(join(dataDir, 'ca.crt'));
  return {
    dataDir,
    kubeconfig,
    port,
    token,
    child,
    log: () => stderr,
    kubectl: (args, input) =>
      new Promise((done) => {
        const [cmd, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, 'kubectl', '--kubeconfig', kubeconfig, ...args]] : ['kubectl', ['--kubeconfig', kubeconfig, ...args]];
        const p = execFile(cmd as string, argv as string[], { timeout: options.kubectlTimeoutMs ?? 60_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          done({ code, stdout, stderr });
        });
        if (input !== undefined) p.stdin?.end(input);
      }),
    http: (method, path, options = {}) =>
      new Promise((done, fail) => {
        const token = options.token ?? '';
        const headers: Record<string, string> = {};
        if (options.token === undefined) headers.authorization = `Bearer ${readFileSync(join(dataDir, 'token'), 'utf8').trim()}`;
        else if (token !== '') headers.authorization = `Bearer ${token}`;
        if (options.contentType) headers['content-type'] = options.contentType;
        if (options.accept) headers.accept = options.accept;
        const req = request({ host: '127.0.0.1', port, method, path, ca, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString();
            done({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as Record<string, unknown> });
          });
        });
        req.on('error', fail);
        req.end(options.body);
      }),
    kill9: async () => {
      if (child.pid && !exited) process.kill(-child.pid, 'SIGKILL');
      await exit;
    },
    stop: async () => {
      if (child.pid && !exited) process.kill(child.pid, 'SIGTERM');
      return exit;
    },
  };
}
