// The one supervisor of long-running children that outlive the daemon (QEMU, `pxevirt pxe
// serve`). The child runs under a tiny `sh` wrapper in its own session (optionally inside a
// netns); the wrapper writes the child's pid to `<name>.pid` and, when it ends, its exit
// status to `<name>.status`, so how it ended is known even when no daemon was running; stdio
// goes to `<name>.log`. A later daemon adopts it from the pidfile. A process is "ours" when it
// is alive (not a zombie) and its command line names the run dir — never found by name.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fchmodSync, openSync, readFileSync, rmSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger.ts';

/** How a child ended: `shutdown` = it ended as asked or by itself cleanly; `killed` = we killed it. */
export interface ExitRecord {
  kind: 'shutdown' | 'crashed' | 'killed';
  /** One sentence with the child's last log lines, for conditions and Events. */
  reason: string;
  code?: number | null;
  signal?: string | null;
  at: string;
}
/** Kept for the PXE server's callers: the same record. */
export type DetachedExit = ExitRecord;

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

/** The child's files in its run dir; `exitFile` names the exit record (QEMU keeps `exit.json`). */
export const detachedFiles = (runDir: string, name: string, exitFile = `${name}.exit.json`) => ({
  pidfile: join(runDir, `${name}.pid`),
  log: join(runDir, `${name}.log`),
  status: join(runDir, `${name}.status`),
  exit: join(runDir, exitFile),
});

/** A small file's text, or '' when it is not there (yet). */
function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Whether a child that has just been started has ended: gone, a zombie, or its pid taken by a
 * process not of this run dir. Not while it is between fork and exec: then its command line
 * can read empty for a moment (the kernel is swapping its memory), which `isProcessOf` takes
 * for "not ours" — a start was once failed as "exited while starting" while QEMU ran on.
 */
export function endedWhileStarting(pid: number, runDir: string): boolean {
  let stat: string;
  let cmdline: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // gone
  }
  if (/^\d+ \(.*\) Z/s.test(stat)) return true;
  if (cmdline === '') return false; // exec in progress: ask again at the next poll
  return !cmdline.split('\0').some((a) => a.includes(runDir));
}

/** Whether pid is a process whose command line reads empty: between its fork and its exec's end. */
export function execInProgress(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === '';
  } catch {
    return false; // gone: not starting either
  }
}

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

/** The last lines of a log file (JSON log lines shortened to their msg/err). */
export async function logTailLines(file: string, lines = 5): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
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
    });
}

/** The last lines of the child's log, joined with " | ". */
export async function detachedLogTail(runDir: string, name: string, lines = 5): Promise<string> {
  return (await logTailLines(detachedFiles(runDir, name).log, lines)).join(' | ');
}

/** Reads an exit record; undefined when there is none (or it is unreadable). */
export async function readExitRecord(file: string): Promise<ExitRecord | undefined> {
  return readFile(file, 'utf8').then((t) => JSON.parse(t) as ExitRecord, () => undefined);
}

/** Writes the exit record unless one is there already (the first record wins). */
export async function recordExit(file: string, record: ExitRecord): Promise<ExitRecord> {
  const existing = await readExitRecord(file);
  if (existing) return existing;
  await writeRecord(file, record);
  return record;
}

async function writeRecord(file: string, record: ExitRecord): Promise<void> {
  await writeFile(`${file}.tmp`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/** Turns what the wrapper and the log say into a kind and a reason (per kind of child). */
export type DescribeExit = (e: { name: string; code: number | undefined; signal: string | null; tail: string[] }) => Pick<ExitRecord, 'kind' | 'reason'>;

/** The default: "<name> exited with code 3; its last words: …". */
export const describeExit: DescribeExit = ({ name, code, signal, tail }) => {
  const how = code === undefined ? 'ended and its exit status is unknown' : signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return { kind: code === 0 ? 'shutdown' : 'crashed', reason: `${name} ${how}; its last words: ${tail.join(' | ') || '(nothing)'}` };
};

const signalName = (n: number): string => Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

/** What is the same for every start and adoption of one kind of child. */
export interface DetachedKind {
  /** The child's files live here; its command line must name this directory (adoption checks it). */
  runDir: string;
  /** File name stem: `<name>.pid`, `<name>.log`, `<name>.status`. */
  name: string;
  /** File name of the exit record (default `<name>.exit.json`). */
  exitFile?: string;
  describe?: DescribeExit;
  log: Logger;
  now?: () => Date;
}

/**
 * How the child ended: a complete recorded exit as it is; else the wrapper's status (waited
 * for up to waitMs) and the log, merged into a record written before exit (kill, guest
 * shutdown) if there is one.
 */
async function classify(k: DetachedKind, waitMs = 2000): Promise<ExitRecord> {
  const files = detachedFiles(k.runDir, k.name, k.exitFile);
  const recorded = await readExitRecord(files.exit);
  if (recorded && recorded.code !== undefined) return recorded;
  let statusText: string | undefined;
  for (let waited = 0; ; waited += 100) {
    statusText = await readFile(files.status, 'utf8').catch(() => undefined);
    if (statusText !== undefined || waited >= waitMs) break;
    await sleep(100);
  }
  const status = statusText === undefined ? undefined : Number(statusText.trim());
  const signal = status !== undefined && status > 128 ? signalName(status - 128) : null;
  const code = signal || status === undefined ? null : status;
  // A record written while the status was awaited (a kill records its reason, then signals) wins.
  const described = recorded ?? (await readExitRecord(files.exit)) ?? { ...(k.describe ?? describeExit)({ name: k.name, code: status === undefined ? undefined : (code ?? status), signal, tail: await logTailLines(files.log) }), at: (k.now?.() ?? new Date()).toISOString() };
  const record: ExitRecord = { ...described, code, signal };
  await writeRecord(files.exit, record).catch(() => undefined);
  return record;
}

export interface DetachedLaunchOptions extends DetachedKind {
  /** Network namespace to run in; absent: this process's own. */
  netns?: string;
  /**
   * How the child enters `netns`: `ip netns exec` (the default) also gives it the namespace's
   * own /sys (a private mount namespace, sysfs mounted again), which a child reading
   * /sys/class/net needs (pxe serve); `nsenter` joins the network namespace only — no mount
   * namespace, no sysfs mount, ~2 ms less CPU — for a child that does not read /sys (QEMU).
   */
  enter?: 'ip-netns-exec' | 'nsenter';
  /** With `nsenter`: the namespace's file to join instead of `/run/netns/<netns>` (a held descriptor's /proc path). */
  netnsPath?: string;
  argv: readonly string[];
  /** Resolves true once the child serves (polled until startTimeoutMs). */
  ready: () => Promise<boolean>;
  startTimeoutMs?: number;
  signal?: AbortSignal;
  /** Open descriptors the child inherits as 3, 4, … (the caller closes its own copies). */
  fds?: readonly number[];
  /**
   * Called right after the child is spawned, before the start is waited for: work of the
   * caller's that may overlap the child's start (spawning another process blocks the event
   * loop until that one has exec'd: done here, it no longer delays this child's spawn).
   */
  afterSpawn?: () => void;
}

// umask 077: the pidfile, the status file and whatever the child creates (QEMU's sockets and
// serial log) are root's alone, whatever umask the daemon has. The pidfile is written by the
// shell's own echo (one write of a few bytes: a reader finds it empty or whole, and checks
// that it holds digits), not through a temporary file and `mv`: that was a process started
// beside the child on every start (~6 ms of CPU, docs/benchmarks.md). The status, written once
// the child has ended and read by a daemon at any time, still goes through `mv`.
export const WRAPPER = 'umask 077; pidfile=$1 status=$2; shift 2; "$@" & pid=$!; echo $pid > "$pidfile"; wait $pid; echo $? > "$status.tmp"; mv "$status.tmp" "$status"';

/** One detached child being watched. */
export class DetachedProcess {
  state: 'running' | 'exited' = 'running';
  exit: ExitRecord | undefined;
  readonly exited: Promise<ExitRecord>;
  private resolveExited!: (e: ExitRecord) => void;
  private readonly listeners = new Set<(e: ExitRecord) => void>();
  private watching = true;
  private readonly exitFile: string;

  private constructor(
    readonly pid: number,
    private readonly kind: DetachedKind,
  ) {
    this.exitFile = detachedFiles(kind.runDir, kind.name, kind.exitFile).exit;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    void this.watch();
  }

  get runDir(): string {
    return this.kind.runDir;
  }

  get name(): string {
    return this.kind.name;
  }

  /** Starts the child detached (in the netns if given); resolves once `ready()` says so. */
  static async launch(o: DetachedLaunchOptions): Promise<DetachedProcess> {
    const files = detachedFiles(o.runDir, o.name, o.exitFile);
    // Synchronous, as the pidfile polls below: tiny files, and on a loaded machine each libuv
    // round trip waits for a reschedule (docs/benchmarks.md, create → Running).
    for (const f of [files.pidfile, files.status, files.exit]) rmSync(f, { force: true });
    const logFd = openSync(files.log, 'a', 0o600);
    fchmodSync(logFd, 0o600); // whatever the umask, and over an older log's mode
    const shArgv = ['sh', '-c', WRAPPER, `pxevirt-${o.name}`, files.pidfile, files.status, ...o.argv];
    const [command, ...args] = o.netns === undefined ? shArgv : o.enter === 'nsenter' ? ['nsenter', `--net=${o.netnsPath ?? `/run/netns/${o.netns}`}`, ...shArgv] : ['ip', 'netns', 'exec', o.netns, ...shArgv];
    const child = spawn(command as string, args, { detached: true, stdio: ['ignore', logFd, logFd, ...(o.fds ?? [])] });
    closeSync(logFd);
    // The wrapper lives as long as the child: its exit before the pidfile is a failed start.
    let launcherExit: string | undefined;
    child.on('error', (err) => (launcherExit = `cannot run ${command}: ${err.message}`));
    child.on('exit', (code, sig) => (launcherExit ??= sig ? `signal ${sig}` : `code ${code}`));
    child.unref();
    o.afterSpawn?.();
    const timeoutMs = o.startTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const fail = async (what: string): Promise<never> => {
      if (child.pid !== undefined) killGroup(child.pid);
      throw new DetachedStartError(o.runDir, o.name, what, await detachedLogTail(o.runDir, o.name));
    };
    // Polled fast at first (the wrapper writes the pidfile within milliseconds, QEMU listens on
    // QMP soon after), then less often: a fixed 50/100 ms step added half a step to every start.
    const pause = pollPauses(2, 50);
    let pid: number | undefined;
    while (pid === undefined) {
      const text = readIfThere(files.pidfile);
      if (/^\d+\s*$/.test(text)) pid = Number(text.trim());
      else if (launcherExit !== undefined) return fail(`did not start (its launcher ended: ${launcherExit})`);
      else if (o.signal?.aborted) return fail('start aborted');
      else if (Date.now() > deadline) return fail('no pidfile in time');
      else await sleep(pause());
    }
    const readyPause = pollPauses(2, 20);
    for (;;) {
      if (existsSync(files.status) || endedWhileStarting(pid, o.runDir)) {
        const exit = await classify(o);
        throw new DetachedStartError(o.runDir, o.name, `exited while starting (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code ?? 'unknown'}`})`, await detachedLogTail(o.runDir, o.name));
      }
      // Ready, and past its exec: the wrapper names the pid right after its fork, and a process
      // mid-exec reads an empty command line, which the watch would take for its end.
      if ((await o.ready().catch(() => false)) && !execInProgress(pid)) break;
      if (o.signal?.aborted) return fail('start aborted');
      if (Date.now() > deadline) return fail(`not ready within ${timeoutMs} ms`);
      await sleep(readyPause());
    }
    return new DetachedProcess(pid, o);
  }

  /**
   * Finds the child a previous daemon left in the run dir: live and named in the pidfile →
   * watched; otherwise how it ended (undefined when it never ran there).
   */
  static async adopt(k: DetachedKind): Promise<DetachedProcess | ExitRecord | undefined> {
    const files = detachedFiles(k.runDir, k.name, k.exitFile);
    const text = await readFile(files.pidfile, 'utf8').catch(() => '');
    const pid = /^\d+\s*$/.test(text) ? Number(text.trim()) : undefined;
    if (pid !== undefined && isProcessOf(pid, k.runDir)) return new DetachedProcess(pid, k);
    // A child may remove its own pidfile on a clean exit (QEMU does); the status file still tells.
    if (pid === undefined && !existsSync(files.exit) && !existsSync(files.status)) return undefined;
    return classify(k);
  }

  /** Whether the child is still alive. */
  alive(): boolean {
    return isProcessOf(this.pid, this.kind.runDir);
  }

  /** Called once when the child ends. */
  onExit(listener: (e: ExitRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves with how it ended. */
  async stop(graceMs = 5000): Promise<ExitRecord> {
    if (this.state === 'exited' && this.exit) return this.exit;
    this.signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (this.alive() && Date.now() < deadline) await sleep(100);
    if (this.alive()) this.signal('SIGKILL');
    await this.check();
    return this.exited;
  }

  /** SIGKILL, recorded first as `killed` with the reason; resolves with how it ended. */
  async kill(reason: string): Promise<ExitRecord> {
    if (this.state !== 'exited') {
      await recordExit(this.exitFile, { kind: 'killed', reason, at: this.nowIso() });
      this.signal('SIGKILL');
    }
    return this.exited;
  }

  /** Records how the child is ending before it exits (first record wins), e.g. a guest shutdown. */
  async recordExit(record: Omit<ExitRecord, 'at'>): Promise<ExitRecord> {
    return recordExit(this.exitFile, { ...record, at: this.nowIso() });
  }

  /** Stops watching without touching the child (daemon shutdown). */
  detach(): void {
    this.watching = false;
  }

  /** Checks now (instead of at the next poll) whether the child has ended. */
  check(): Promise<void> {
    if (this.state === 'exited' || this.alive()) return Promise.resolve();
    // Still exec'ing (the wrapper's fork has not become the child yet: its command line reads
    // empty for that moment), unless the wrapper has already written how it ended.
    if (execInProgress(this.pid) && !existsSync(detachedFiles(this.runDir, this.name, this.kind.exitFile).status)) return Promise.resolve();
    this.checking ??= (async () => {
      const exit = await classify(this.kind);
      this.exit = exit;
      this.state = 'exited';
      this.kind.log.info({ runDir: this.runDir, pid: this.pid, exit }, `${this.name} exited`);
      this.resolveExited(exit);
      for (const l of this.listeners) l(exit);
    })();
    return this.checking;
  }

  private checking: Promise<void> | undefined;

  private nowIso(): string {
    return (this.kind.now?.() ?? new Date()).toISOString();
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
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** Pauses between polls: `firstMs`, doubling up to `maxMs`. */
export function pollPauses(firstMs = 2, maxMs = 100): () => number {
  let next = firstMs;
  return () => {
    const now = next;
    next = Math.min(maxMs, next * 2);
    return now;
  };
}
