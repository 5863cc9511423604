// Starts QEMU detached inside a pod netns and watches it until it exits, surviving a daemon
// restart. QEMU runs under a tiny `sh` wrapper in its own session (stdio to qemu.log) that
// writes QEMU's exit status to qemu.status: so how a guest ended is known even when the
// daemon was not running at the time. The QMP SHUTDOWN event, when seen, is recorded in
// exit.json before QEMU exits. Processes are found by pidfile and checked by their command
// line (it names the run dir), never by name.
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { constants } from 'node:os';
import type { Logger } from '../lib/logger.ts';
import { LogCap, QEMU_LOG_LIMITS, SERIAL_LOG_LIMITS, type LogCapLimits } from './log-cap.ts';
import { QmpClient, type QmpEvent } from './qmp.ts';

export interface ExitRecord {
  kind: 'shutdown' | 'crashed' | 'killed';
  reason: string;
  code?: number | null;
  signal?: string | null;
  at: string;
}

/** QEMU did not come up (it exited, or its pidfile/QMP socket did not appear in time). */
export class QemuStartError extends Error {
  constructor(
    readonly runDir: string,
    readonly what: string,
    readonly logTail: string,
  ) {
    super(`QEMU in ${runDir}: ${what}${logTail ? `. QEMU said:\n${logTail}` : ''}`);
    this.name = 'QemuStartError';
  }
}

export const supervisorFiles = (runDir: string) => ({
  pidfile: join(runDir, 'qemu.pid'),
  qmpSocket: join(runDir, 'qmp.sock'),
  log: join(runDir, 'qemu.log'),
  /** Written by QEMU's serial chardev (qemu-args.ts names it the same). */
  serialLog: join(runDir, 'serial.log'),
  status: join(runDir, 'qemu.status'),
  exit: join(runDir, 'exit.json'),
});

/** The last lines of qemu.log, for exit reasons. */
export async function logTail(runDir: string, lines = 5): Promise<string> {
  const text = await readFile(supervisorFiles(runDir).log, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Whether pid is a live (not zombie) process whose command line names runDir. */
export function isQemuOf(pid: number, runDir: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/s.test(stat)) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => a.includes(runDir));
  } catch {
    return false;
  }
}

export async function readExitRecord(runDir: string): Promise<ExitRecord | undefined> {
  try {
    return JSON.parse(await readFile(supervisorFiles(runDir).exit, 'utf8')) as ExitRecord;
  } catch {
    return undefined;
  }
}

/** Writes exit.json unless one is there already (the first record wins). */
export async function recordExit(runDir: string, record: ExitRecord): Promise<ExitRecord> {
  const existing = await readExitRecord(runDir);
  if (existing) return existing;
  const tmp = `${supervisorFiles(runDir).exit}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record)}\n`);
  await rename(tmp, supervisorFiles(runDir).exit);
  return record;
}

const signalName = (n: number): string => Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

/** How QEMU ended, from exit.json (if recorded), qemu.status and qemu.log. */
async function classifyExit(runDir: string): Promise<ExitRecord> {
  const files = supervisorFiles(runDir);
  let statusText: string | undefined;
  for (let i = 0; i < 20 && statusText === undefined; i++) {
    statusText = await readFile(files.status, 'utf8').catch(() => undefined);
    if (statusText === undefined) await sleep(100);
  }
  const code = statusText === undefined ? undefined : Number(statusText.trim());
  const signal = code !== undefined && code > 128 ? signalName(code - 128) : null;
  const tail = await logTail(runDir);
  const at = new Date().toISOString();
  const recorded = await readExitRecord(runDir);
  if (recorded) return { ...recorded, code: signal ? null : (code ?? null), signal };
  let record: ExitRecord;
  if (code === undefined) record = { kind: 'crashed', reason: `QEMU exited and its exit status is unknown; QEMU said: ${tail || '(nothing)'}`, code: null, signal: null, at };
  else if (signal) record = { kind: 'crashed', reason: `QEMU was killed by ${signal}; QEMU said: ${tail || '(nothing)'}`, code: null, signal, at };
  else if (code === 0 && !/terminating on signal/.test(tail)) record = { kind: 'shutdown', reason: 'the guest powered off', code, signal: null, at };
  else record = { kind: 'crashed', reason: `QEMU exited with code ${code}: ${tail || '(nothing)'}`, code, signal: null, at };
  return recordExit(runDir, record);
}

export interface LaunchOptions {
  netns: string;
  runDir: string;
  args: readonly string[];
  qemuBinary?: string;
  log: Logger;
  signal?: AbortSignal;
  /** For the pidfile and the QMP socket to appear; default 30 s. */
  startTimeoutMs?: number;
  logLimits?: LogLimits;
}

/** Caps on a guest's logs while it is watched (defaults in log-cap.ts). */
export interface LogLimits {
  serial?: LogCapLimits;
  qemu?: LogCapLimits;
}

/** One QEMU process being watched. */
export class QemuProcess {
  state: 'starting' | 'running' | 'exited' = 'starting';
  exit: ExitRecord | undefined;
  /** Resolves with how QEMU ended. */
  readonly exited: Promise<ExitRecord>;
  private resolveExited!: (r: ExitRecord) => void;
  private qmp: QmpClient | undefined;
  private readonly listeners = new Set<() => void>();
  private watching = false;
  private logCap: LogCap | undefined;

  private constructor(
    readonly pid: number,
    readonly runDir: string,
    private readonly log: Logger,
    private readonly logLimits: LogLimits = {},
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  /** Starts QEMU detached in the netns; resolves once its QMP socket answers. */
  static async launch(o: LaunchOptions): Promise<QemuProcess> {
    const files = supervisorFiles(o.runDir);
    await Promise.all([files.pidfile, files.status, files.exit].map((f) => rm(f, { force: true })));
    const logFd = openSync(files.log, 'a');
    const wrapper = 'status=$1; shift; "$@"; echo $? > "$status.tmp"; mv "$status.tmp" "$status"';
    const child = spawn('ip', ['netns', 'exec', o.netns, 'sh', '-c', wrapper, 'pxevirt-qemu', files.status, o.qemuBinary ?? 'qemu-system-x86_64', ...o.args], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    // The wrapper lives as long as QEMU: its exit before the pidfile is a failed start.
    let wrapperExit: string | undefined;
    child.on('error', (err) => (wrapperExit = `cannot run ip netns exec: ${err.message}`));
    child.on('exit', (code, sig) => (wrapperExit ??= sig ? `signal ${sig}` : `code ${code}`));
    child.unref();
    const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
    let pid: number | undefined;
    while (pid === undefined) {
      if (existsSync(files.status)) throw new QemuStartError(o.runDir, 'QEMU exited while starting', await logTail(o.runDir, 10));
      if (wrapperExit !== undefined) throw new QemuStartError(o.runDir, `QEMU did not start (its launcher ended: ${wrapperExit})`, await logTail(o.runDir, 10));
      const text = await readFile(files.pidfile, 'utf8').catch(() => '');
      if (/^\d+\s*$/.test(text)) pid = Number(text.trim());
      else if (Date.now() > deadline || o.signal?.aborted) {
        if (child.pid !== undefined) killGroup(child.pid);
        throw new QemuStartError(o.runDir, o.signal?.aborted ? 'start aborted' : 'no pidfile in time', await logTail(o.runDir, 10));
      } else await sleep(50);
    }
    const proc = new QemuProcess(pid, o.runDir, o.log, o.logLimits);
    try {
      await proc.connectQmp(Math.max(1000, deadline - Date.now()), o.signal);
    } catch (err) {
      // QEMU exiting right away is a start failure with its own words.
      if (!isQemuOf(pid, o.runDir)) throw new QemuStartError(o.runDir, 'QEMU exited while starting', await logTail(o.runDir, 10));
      throw err;
    }
    proc.watch();
    return proc;
  }

  /**
   * Finds the QEMU a previous daemon left in runDir: a live process named in the pidfile
   * whose command line names the run dir → watched; otherwise its exit record (if any).
   */
  static async adopt(runDir: string, log: Logger, logLimits?: LogLimits): Promise<QemuProcess | ExitRecord | undefined> {
    const files = supervisorFiles(runDir);
    const text = await readFile(files.pidfile, 'utf8').catch(() => '');
    const pid = /^\d+\s*$/.test(text) ? Number(text.trim()) : undefined;
    if (pid !== undefined && isQemuOf(pid, runDir)) {
      const proc = new QemuProcess(pid, runDir, log, logLimits);
      await proc.connectQmp(10_000).catch((err: unknown) => log.warn({ runDir, err: String(err) }, 'adopted QEMU: QMP not reachable'));
      proc.watch();
      return proc;
    }
    // QEMU removes its pidfile on a clean exit; the wrapper's status file still tells.
    if (pid === undefined && !existsSync(files.exit) && !existsSync(files.status)) return undefined;
    return classifyExit(runDir);
  }

  /** Called on every state change (running, exited). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks the guest to power off (ACPI). */
  async powerdown(): Promise<void> {
    if (!this.qmp) throw new QemuStartError(this.runDir, 'no QMP connection for system_powerdown', '');
    await this.qmp.execute('system_powerdown', undefined, { signal: AbortSignal.timeout(5000) });
  }

  /** Runs a QMP command on the supervisor's connection. */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (!this.qmp) throw new QemuStartError(this.runDir, `no QMP connection for ${command}`, '');
    return this.qmp.execute(command, args, { signal: AbortSignal.timeout(10_000) });
  }

  /** SIGKILL, recorded first as `killed` with the reason; resolves when QEMU is gone. */
  async kill(reason: string): Promise<ExitRecord> {
    if (this.state !== 'exited') {
      await recordExit(this.runDir, { kind: 'killed', reason, at: new Date().toISOString() });
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    return this.exited;
  }

  /** Stops watching without touching QEMU (daemon shutdown). */
  detach(): void {
    this.watching = false;
    this.qmp?.close();
    void this.logCap?.close();
  }

  private async connectQmp(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const socket = supervisorFiles(this.runDir).qmpSocket;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        this.qmp = await QmpClient.connect(socket, { timeoutMs: Math.max(500, deadline - Date.now()), ...(signal ? { signal } : {}) });
        break;
      } catch (err) {
        if (Date.now() > deadline || signal?.aborted || !isQemuOf(this.pid, this.runDir)) throw err;
        await sleep(100);
      }
    }
    this.qmp.onEvent((e) => void this.onQmpEvent(e));
    // The socket closing is the fastest sign QEMU is gone; the poll confirms it.
    void this.qmp.closed.then(() => this.check());
    this.setState('running');
  }

  private async onQmpEvent(e: QmpEvent): Promise<void> {
    this.log.debug({ runDir: this.runDir, event: e.event, data: e.data }, 'QMP event');
    if (e.event === 'SHUTDOWN' && e.data?.guest === true) {
      await recordExit(this.runDir, { kind: 'shutdown', reason: `the guest powered off (${String(e.data.reason ?? 'guest-shutdown')})`, at: new Date().toISOString() }).catch(() => undefined);
    }
  }

  private watch(): void {
    this.watching = true;
    // A guest can write to its serial port far faster than a UART: its logs are capped while it runs.
    const files = supervisorFiles(this.runDir);
    this.logCap = new LogCap(
      [
        { path: files.serialLog, limits: this.logLimits.serial ?? SERIAL_LOG_LIMITS },
        { path: files.log, limits: this.logLimits.qemu ?? QEMU_LOG_LIMITS },
      ],
      { log: this.log },
    );
    void (async () => {
      while (this.watching && this.state !== 'exited') {
        await this.check();
        await sleep(500);
      }
    })();
  }

  private checking = false;
  private async check(): Promise<void> {
    if (this.checking || this.state === 'exited' || !this.watching || isQemuOf(this.pid, this.runDir)) return;
    this.checking = true;
    this.qmp?.close();
    await this.logCap?.close();
    const record = await classifyExit(this.runDir);
    this.exit = record;
    this.log.info({ runDir: this.runDir, pid: this.pid, exit: record }, 'QEMU exited');
    this.setState('exited');
    this.resolveExited(record);
  }

  private setState(state: QemuProcess['state']): void {
    this.state = state;
    for (const l of this.listeners) l();
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
