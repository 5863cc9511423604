// Runs `./bin/pxevirt` (the CLI verbs) against a daemon started by test/api/daemon-process.ts,
// and compares its output with the real kubectl's for the same request.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DaemonProcess, Run } from '../api/daemon-process.ts';
import { watchUntil as watchCommand } from '../helpers/watch-until.ts';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const BIN = join(ROOT, 'bin/pxevirt');

/** Runs pxevirt with KUBECONFIG pointing at the daemon (or `env` overrides); never rejects. */
export function pxevirt(d: DaemonProcess | undefined, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const env = { ...process.env, ...(d ? { KUBECONFIG: d.kubeconfig } : {}), ...options.env };
  return new Promise((done) => {
    const p = execFile(BIN, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      done({ code, stdout, stderr });
    });
    p.stdin?.end(options.input ?? '');
  });
}

/** Runs a shell pipeline with KUBECONFIG set and `pxevirt` on PATH as ./bin/pxevirt. */
export function shell(d: DaemonProcess, script: string): Promise<Run> {
  return new Promise((done) => {
    execFile('bash', ['-o', 'pipefail', '-c', script], { env: { ...process.env, KUBECONFIG: d.kubeconfig, PATH: `${join(ROOT, 'bin')}:${process.env.PATH ?? ''}` }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** Replaces ages (`5s`, `3m10s`, `2d`) so outputs taken seconds apart compare equal. */
export function withoutAges(text: string): string {
  return text.replace(/\b\d+[smhdy](\d+[smh])?\b/g, 'AGE').replace(/(\S)  +/g, '$1 ');
}

/** Starts `pxevirt get … -w` (see test/helpers/watch-until.ts); gives up after 30 s. */
export function watchUntil(d: DaemonProcess, args: string[], change: () => Promise<unknown>, until: (out: string) => boolean): Promise<string> {
  return watchCommand({ command: BIN, args: [...args, '-w'], env: { ...process.env, KUBECONFIG: d.kubeconfig }, label: 'pxevirt get -w', timeoutMs: 30_000 }, change, until);
}
