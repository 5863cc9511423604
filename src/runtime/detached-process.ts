// Supervises a long-running child that is not QEMU (e.g. `pxevirt pxe serve` for a PXEServer)
// the way supervisor.ts does QEMU: started inside a netns under a tiny `sh` wrapper in its own
// session, so it outlives the daemon; the wrapper writes the child's pid to `<name>.pid` and,
// when it ends, its exit status to `<name>.status`; stdio goes to `<name>.log`. A later
// daemon adopts it from the pidfile, checking /proc/<pid>/cmdline names the run dir.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger.ts';

/** How a detached child ended. */
export interface DetachedExit {
  code: number | null;
  signal: string | null;
  /** One sentence with the last log lines, for conditions and Events. */
  reason: string;
  at: string;
}

/** The child did not come up: it exited, or did not get ready in time. */
export class DetachedStartError extends Error {
  constructor(
    readonly runDir: string,
    readonly processName: string,
    readonly what: string,
    readonly logTail: string,
  ) {
    super(`${processName} in ${runDir}: ${what}${logTail ? `; it said: ${logTail}` : ''}`);
    this.name = 'DetachedStartError';
  }
}

export const detachedFiles = (runDir: string, name: string) => ({
  pidfile: join(runDir, `${name}.pid`),
  log: join(runDir, `${name}.log`),
  status: join(runDir, `${name}.status`),
  exit: join(runDir, `${name}.exit.json`),
});

/** Whether pid is a live (not zombie) process whose command line names runDir. */
export function isProcessOf(pid: number, runDir: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/s.test(stat)) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => a.includes(runDir));
  } catch {
    return false;
  }
}

/** The last lines of the child's log, joined with " | " (JSON log lines shortened to their msg/err). */
export async function detachedLogTail(runDir: string, name: string, lines = 5): Promise<string> {
  const text = await readFile(detachedFiles(runDir, name).log, 'utf8').catch(() => '');
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .slice(-lines)
    .map((l) => {
      try {
        const o = JSON.parse(l) as { msg?: unknown; err?: { message?: unknown } | unknown };
        const err = typeof o.err === 'object' && o.err !== null ? (o.err as { message?: unknown }).message : o.err;
        return [o.msg, err].filter((x) => x !== undefined).map(String).join(': ');
      } catch {
        return l;
      }
    })
    .join(' | ');
}

const signalName = (n: number): string => Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

/** Reads how the child ended: the recorded exit, else the wrapper's status file and the log. */
async function classify(runDir: string, name: string, waitForStatusMs = 2000): Promise<DetachedExit> {
  const files = detachedFiles(runDir, name);
  const recorded = await readFile(files.exit, 'utf8').then((t) => JSON.parse(t) as DetachedExit, () => undefined);
  if (recorded) return recorded;
  let statusText: string | undefined;
  for (let waited = 0; statusText === undefined && waited <= waitForStatusMs; waited += 100) {
    statusText = await readFile(files.status, 'utf8').catch(() => undefined);
    if (statusText === undefined) await sleep(100);
  }
  const code = statusText === undefined ? undefined : Number(statusText.trim());
  const signal = code !== undefined && code > 128 ? signalName(code - 128) : null;
  const tail = (await detachedLogTail(runDir, name)) || '(nothing)';
  const how = code === undefined ? 'ended and its exit status is unknown' : signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const exit: DetachedExit = { code: signal || code === undefined ? null : code, signal, reason: `${name} ${how}; its last words: ${tail}`, at: new Date().toISOString() };
  await writeFile(`${files.exit}.tmp`, `${JSON.stringify(exit)}\n`).then(() => rename(`${files.exit}.tmp`, files.exit)).catch(() => undefined);
  return exit;
}

export interface DetachedLaunchOptions {
  /** Network namespace to run in (`ip netns exec`); absent: this process's own. */
  netns?: string;
  /** The child's files live here; its command line must name this directory (adoption checks it). */
  runDir: string;
  /** File name stem: `<name>.pid`, `<name>.log`, `<name>.status`. */
  name: string;
  argv: readonly string[];
  log: Logger;
  /** Resolves true once the child serves (polled until startTimeoutMs). */
  ready: () => Promise<boolean>;
  startTimeoutMs?: number;
  signal?: AbortSignal;
}

/** One detached child being watched. */
export class DetachedProcess {
  state: 'running' | 'exited' = 'running';
  exit: DetachedExit | undefined;
  readonly exited: Promise<DetachedExit>;
  private resolveExited!: (e: DetachedExit) => void;
  private readonly listeners = new Set<(e: DetachedExit) => void>();
  private watching = true;

  private constructor(
    readonly pid: number,
    readonly runDir: string,
    readonly name: string,
    private readonly log: Logger,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    void this.watch();
  }

  /** Starts the child detached in the netns; resolves once `ready()` says so. */
  static async launch(o: DetachedLaunchOptions): Promise<DetachedProcess> {
    const files = detachedFiles(o.runDir, o.name);
    await Promise.all([files.pidfile, files.status, files.exit].map((f) => rm(f, { force: true })));
    const logFd = openSync(files.log, 'a');
    // The wrapper waits for the child so its exit status is on disk even with no daemon around.
    const wrapper = 'pidfile=$1 status=$2; shift 2; "$@" & pid=$!; echo $pid > "$pidfile.tmp"; mv "$pidfile.tmp" "$pidfile"; wait $pid; echo $? > "$status.tmp"; mv "$status.tmp" "$status"';
    const shArgv = ['sh', '-c', wrapper, `pxevirt-${o.name}`, files.pidfile, files.status, ...o.argv];
    const [command, ...args] = o.netns === undefined ? shArgv : ['ip', 'netns', 'exec', o.netns, ...shArgv];
    const child = spawn(command as string, args, {
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    let launcherExit: string | undefined;
    child.on('error', (err) => (launcherExit = `cannot run ${command}: ${err.message}`));
    child.on('exit', (code, sig) => (launcherExit ??= sig ? `signal ${sig}` : `code ${code}`));
    child.unref();
    const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
    const fail = async (what: string): Promise<never> => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      throw new DetachedStartError(o.runDir, o.name, what, await detachedLogTail(o.runDir, o.name));
    };
    let pid: number | undefined;
    while (pid === undefined) {
      const text = await readFile(files.pidfile, 'utf8').catch(() => '');
      if (/^\d+\s*$/.test(text)) pid = Number(text.trim());
      else if (launcherExit !== undefined) return fail(`did not start (its launcher ended: ${launcherExit})`);
      else if (o.signal?.aborted) return fail('start aborted');
      else if (Date.now() > deadline) return fail('no pidfile in time');
      else await sleep(50);
    }
    for (;;) {
      if (existsSync(files.status) || !isProcessOf(pid, o.runDir)) {
        const exit = await classify(o.runDir, o.name);
        throw new DetachedStartError(o.runDir, o.name, `exited while starting (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code ?? 'unknown'}`})`, await detachedLogTail(o.runDir, o.name));
      }
      if (await o.ready().catch(() => false)) break;
      if (o.signal?.aborted) return fail('start aborted');
      if (Date.now() > deadline) return fail(`not ready within ${o.startTimeoutMs ?? 30_000} ms`);
      await sleep(100);
    }
    return new DetachedProcess(pid, o.runDir, o.name, o.log);
  }

  /**
   * Finds the child a previous daemon left in runDir: live and named in the pidfile → watched;
   * otherwise how it ended (undefined when it never ran there).
   */
  static async adopt(runDir: string, name: string, log: Logger): Promise<DetachedProcess | DetachedExit | undefined> {
    const files = detachedFiles(runDir, name);
    const text = await readFile(files.pidfile, 'utf8').catch(() => '');
    const pid = /^\d+\s*$/.test(text) ? Number(text.trim()) : undefined;
    if (pid === undefined) return undefined;
    if (isProcessOf(pid, runDir)) return new DetachedProcess(pid, runDir, name, log);
    return classify(runDir, name, 0);
  }

  /** Called once when the child ends. */
  onExit(listener: (e: DetachedExit) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves with how it ended. */
  async stop(graceMs = 5000): Promise<DetachedExit> {
    if (this.state === 'exited' && this.exit) return this.exit;
    this.signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isProcessOf(this.pid, this.runDir) && Date.now() < deadline) await sleep(100);
    if (isProcessOf(this.pid, this.runDir)) this.signal('SIGKILL');
    await this.check();
    return this.exited;
  }

  /** Stops watching without touching the child (daemon shutdown). */
  detach(): void {
    this.watching = false;
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      process.kill(this.pid, sig);
    } catch {
      /* gone */
    }
  }

  private async watch(): Promise<void> {
    while (this.watching && this.state !== 'exited') {
      await this.check();
      await sleep(500);
    }
  }

  private checking: Promise<void> | undefined;
  private check(): Promise<void> {
    if (this.state === 'exited' || isProcessOf(this.pid, this.runDir)) return Promise.resolve();
    this.checking ??= (async () => {
      const exit = await classify(this.runDir, this.name);
      this.exit = exit;
      this.state = 'exited';
      this.log.info({ runDir: this.runDir, pid: this.pid, exit }, `${this.name} exited`);
      this.resolveExited(exit);
      for (const l of this.listeners) l(exit);
    })();
    return this.checking;
  }
}
