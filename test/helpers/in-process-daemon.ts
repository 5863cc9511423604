// One in-process `pxevirt up` for integration tests that need the API and the controllers but
// no guest: a temp data dir, startDaemon on the fake runtime, the CA and token it wrote, and the
// real kubectl against it. Everything is closed and removed in t.after.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeRuntime, type FakeRuntime } from '../../src/controllers/fake-runtime.ts';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import type { Run } from '../api/daemon-process.ts';
import type { TestContextLike } from './netns.ts';

export interface InProcessDaemon {
  daemon: Daemon;
  dataDir: string;
  /** The fake runtime the controllers act through (its `calls` record what they did). */
  runtime: FakeRuntime;
  kubeconfig: string;
  token: string;
  /** The daemon's CA (PEM) and the file it is in, for clients that verify the certificate. */
  ca: Buffer;
  caFile: string;
  /** Runs kubectl with this daemon's kubeconfig; never rejects. */
  kubectl(args: string[], input?: string): Promise<Run>;
  /** Runs kubectl and resolves with its stdout; rejects naming the command and its stderr when it fails. */
  kubectlOk(args: string[], input?: string): Promise<string>;
}

/** Starts the daemon in this process on a new temp data dir, as node `nodeName`. */
export async function startInProcessDaemon(t: TestContextLike, options: { nodeName: string; prefix?: string }): Promise<InProcessDaemon> {
  const dataDir = mkdtempSync(join(tmpdir(), options.prefix ?? 'pxevirt-inproc-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const runtime = createFakeRuntime();
  const daemon = await startDaemon({ dataDir, listen: '127.0.0.1:0', log: silentLogger, runtime, nodeName: options.nodeName });
  t.after(() => daemon.close());
  const caFile = join(dataDir, 'ca.crt');
  const kubectl = (args: string[], input?: string) =>
    new Promise<Run>((done) => {
      const p = execFile('kubectl', ['--kubeconfig', daemon.kubeconfigPath, ...args], { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
        done({ code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr }),
      );
      if (input !== undefined) p.stdin?.end(input);
    });
  return {
    daemon,
    dataDir,
    runtime,
    kubeconfig: daemon.kubeconfigPath,
    token: readFileSync(join(dataDir, 'token'), 'utf8').trim(),
    ca: readFileSync(caFile),
    caFile,
    kubectl,
    kubectlOk: async (args, input) => {
      const r = await kubectl(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
  };
}
