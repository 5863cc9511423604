// Runs `pxevirt up --node-netns NODE` for a test: the node network (bridges, veths the CNI
// plugins make) is the test's throwaway namespace; the daemon itself, its API and the pods'
// `ip netns add` stay in the machine's namespaces, so pod netns are visible to the test and
// to the next daemon after a restart. Killed and removed in t.after.
import { execFile, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'bin/pxevirt');

export interface NodeDaemon {
  kubeconfig: string;
  /** Everything the daemon logged on stderr so far. */
  log(): string;
  kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the daemon with the node network in `nodeNetns` and waits for its KUBECONFIG line. */
export async function startNodeDaemon(t: TestContext, nodeNetns: string, dataDir: string, args: string[] = []): Promise<NodeDaemon> {
  const child = spawn(process.execPath, [BIN, 'up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--node-netns', nodeNetns, ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const exit = new Promise<void>((done) => child.once('exit', () => ((exited = true), done())));
  t.after(async () => {
    if (!exited && child.pid) {
      process.kill(-child.pid, 'SIGKILL');
      await exit;
    }
  });
  const kubeconfig = await new Promise<string>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`pxevirt up printed no KUBECONFIG line within 60 s; stderr: ${stderr}`)), 60_000);
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
  return {
    kubeconfig,
    log: () => stderr,
    kubectl: (kargs, input) =>
      new Promise((done) => {
        const p = execFile('kubectl', ['--kubeconfig', kubeconfig, ...kargs], { timeout: 120_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          done({ code, stdout, stderr });
        });
        if (input !== undefined) p.stdin?.end(input);
      }),
    kill9: async () => {
      if (child.pid && !exited) process.kill(-child.pid, 'SIGKILL');
      await exit;
    },
    stop: async () => {
      if (child.pid && !exited) process.kill(child.pid, 'SIGTERM');
      await exit;
    },
  };
}
