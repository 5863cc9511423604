// QEMU = the detached process (detached-process.ts) + its QMP connection. The QMP SHUTDOWN
// event, when seen, is recorded before QEMU exits, so a guest power-off is told apart from a
// crash even when the daemon was away; the QMP socket closing is the fastest sign QEMU ended.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger.ts';
import { DetachedProcess, DetachedStartError, detachedFiles, recordExit as recordExitIn, type DescribeExit, type DetachedKind, type ExitRecord } from './detached-process.ts';
import { LogCap, QEMU_LOG_LIMITS, SERIAL_LOG_LIMITS, type LogCapLimits } from './log-cap.ts';
import { QmpClient, type QmpEvent } from './qmp.ts';

export type { ExitRecord } from './detached-process.ts';

export const qemuFiles = (runDir: string) => ({
  ...detachedFiles(runDir, 'qemu', 'exit.json'),
  qmpSocket: join(runDir, 'qmp.sock'),
  /** Written by QEMU's serial chardev (qemu-args.ts names it the same). */
  serialLog: join(runDir, 'serial.log'),
});

/** Caps on a guest's logs while it is watched (defaults in log-cap.ts). */
export interface LogLimits {
  serial?: LogCapLimits;
  qemu?: LogCapLimits;
}

/** QEMU's own words: a clean exit is a guest power-off unless QEMU was told to stop by a signal. */
const describeQemuExit: DescribeExit = ({ code, signal, tail }) => {
  const said = tail.join('\n') || '(nothing)';
  if (code === undefined) return { kind: 'crashed', reason: `QEMU exited and its exit status is unknown; QEMU said: ${said}` };
  if (signal) return { kind: 'crashed', reason: `QEMU was killed by ${signal}; QEMU said: ${said}` };
  if (code === 0 && !/terminating on signal/.test(said)) return { kind: 'shutdown', reason: 'the guest powered off' };
  return { kind: 'crashed', reason: `QEMU exited with code ${code}: ${said}` };
};

const qemuKind = (runDir: string, log: Logger): DetachedKind => ({ runDir, name: 'qemu', exitFile: 'exit.json', describe: describeQemuExit, log });

/** Writes the run dir's exit record unless one is there (a start that failed before QEMU ran). */
export function recordExit(runDir: string, record: ExitRecord): Promise<ExitRecord> {
  return recordExitIn(qemuFiles(runDir).exit, record);
}

export interface LaunchOptions {
  netns: string;
  /** The namespace's file QEMU joins, when not `/run/netns/<netns>` (a spare held by descriptor, netns-spare.ts). */
  netnsPath?: string;
  runDir: string;
  args: readonly string[];
  qemuBinary?: string;
  log: Logger;
  signal?: AbortSignal;
  /** For the pidfile and the QMP socket to appear; default 30 s. */
  startTimeoutMs?: number;
  logLimits?: LogLimits;
  /** Descriptors QEMU inherits as 3, 4, … (its writable directory, QEMU_DIR_FD). */
  fds?: readonly number[];
  /** Called once QEMU's launcher is spawned (work that may overlap QEMU's own start). */
  afterSpawn?: () => void;
}

/**
 * Waits for `path` to be created: `wait(ms)` resolves when a file of its name appears in its
 * directory (inotify) or after `ms`, whichever comes first. Without inotify, the timeout alone.
 */
export function appearing(path: string): { wait: (ms: number) => Promise<void>; close: () => void } {
  const name = basename(path);
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), (_event, file) => {
      if (file === name) wake?.();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // no inotify watch left: polled
  }
  return {
    wait: (ms) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, ms);
        wake = done;
      }),
    close: () => watcher?.close(),
  };
}

/** One QEMU process being watched, with its QMP connection. */
export class QemuProcess {
  state: 'starting' | 'running' | 'exited' = 'starting';
  /** The guest's vCPUs are stopped (QMP `stop`, seen through the STOP/RESUME events). */
  paused = false;
  /** A soft reboot asked for and not yet done: the guest's next power-off becomes a reset. */
  private rebootPending = false;
  /** Between the soft reboot's power-off and its reset: QEMU's STOP then is not a user's pause. */
  private resetting = false;
  private qmp: QmpClient | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly logCap: LogCap | undefined;

  private constructor(
    private readonly proc: DetachedProcess,
    qmp: QmpClient | undefined,
    private readonly log: Logger,
    logLimits: LogLimits = {},
  ) {
    // A guest can write to its serial port far faster than a UART: its logs are capped while it runs.
    if (proc.state !== 'exited') {
      const files = qemuFiles(proc.runDir);
      this.logCap = new LogCap(
        [
          { path: files.serialLog, limits: logLimits.serial ?? SERIAL_LOG_LIMITS },
          { path: files.log, limits: logLimits.qemu ?? QEMU_LOG_LIMITS },
        ],
        { log },
      );
    }
    proc.onExit(() => {
      this.qmp?.close();
      void this.logCap?.close();
      this.setState('exited');
    });
    if (qmp) this.useQmp(qmp);
    if (proc.state === 'exited') this.state = 'exited';
  }

  get pid(): number {
    return this.proc.pid;
  }

  get runDir(): string {
    return this.proc.runDir;
  }

  get exit(): ExitRecord | undefined {
    return this.proc.exit;
  }

  /** Resolves with how QEMU ended. */
  get exited(): Promise<ExitRecord> {
    return this.proc.exited;
  }

  /** Starts QEMU detached in the netns; resolves once its QMP socket answers. */
  static async launch(o: LaunchOptions): Promise<QemuProcess> {
    let qmp: QmpClient | undefined;
    const socket = qemuFiles(o.runDir).qmpSocket;
    // QEMU makes its QMP socket late in its start, 5–10 ms before it answers on it: connected
    // the moment it appears (inotify), not at the next poll (up to 20 ms later).
    const socketMade = appearing(socket);
    const proc = await DetachedProcess.launch({
      ...qemuKind(o.runDir, o.log),
      netns: o.netns,
      // QEMU opens its taps through /dev/net/tun and reads no /sys/class/net: the network
      // namespace alone, without `ip netns exec`'s mount namespace and sysfs mount.
      enter: 'nsenter',
      argv: [o.qemuBinary ?? 'qemu-system-x86_64', ...o.args],
      ready: async () => {
        if (!existsSync(socket)) await socketMade.wait(50);
        qmp = await QmpClient.connect(socket, { timeoutMs: 2000, ...(o.signal ? { signal: o.signal } : {}) });
        return true;
      },
      ...(o.startTimeoutMs === undefined ? {} : { startTimeoutMs: o.startTimeoutMs }),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.fds ? { fds: o.fds } : {}),
      ...(o.netnsPath ? { netnsPath: o.netnsPath } : {}),
      ...(o.afterSpawn ? { afterSpawn: o.afterSpawn } : {}),
    }).finally(() => socketMade.close());
    return new QemuProcess(proc, qmp, o.log, o.logLimits);
  }

  /**
   * Finds the QEMU a previous daemon left in runDir: a live process named in the pidfile
   * whose command line names the run dir → watched; otherwise its exit record (if any).
   */
  static async adopt(runDir: string, log: Logger, logLimits?: LogLimits): Promise<QemuProcess | ExitRecord | undefined> {
    const found = await DetachedProcess.adopt(qemuKind(runDir, log));
    if (!(found instanceof DetachedProcess)) return found;
    const qemu = new QemuProcess(found, undefined, log, logLimits);
    await qemu.connectQmp(10_000).catch((err: unknown) => log.warn({ runDir, err: String(err) }, 'adopted QEMU: QMP not reachable'));
    // A guest paused by an earlier daemon stays paused: read it back.
    const status = (await qemu.execute('query-status').catch(() => undefined)) as { status?: unknown } | undefined;
    if (status?.status === 'paused') qemu.paused = true;
    return qemu;
  }

  /** Called on every state change (running, exited, paused or resumed). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks the guest to power off (ACPI). */
  async powerdown(): Promise<void> {
    await this.execute('system_powerdown', undefined, 5000);
  }

  /** Stops the guest's vCPUs (QMP stop); resolves once QEMU has stopped them. */
  async pause(): Promise<void> {
    await this.execute('stop');
    this.setPaused(true);
  }

  /** Resumes a paused guest (QMP cont). */
  async unpause(): Promise<void> {
    await this.execute('cont');
    this.setPaused(false);
  }

  /**
   * Soft reboot as libvirt does it without a guest agent: the ACPI power button, and the
   * guest's power-off that follows is turned into a reset (QEMU pauses on it instead of
   * exiting, then pxevirt resets and resumes), so QEMU and the VMI stay up.
   */
  async softReboot(): Promise<void> {
    await this.execute('set-action', { shutdown: 'pause' });
    this.rebootPending = true;
    try {
      await this.powerdown();
    } catch (err) {
      this.rebootPending = false;
      await this.execute('set-action', { shutdown: 'poweroff' }).catch(() => undefined);
      throw err;
    }
  }

  /** Runs a QMP command on the supervisor's connection. */
  async execute(command: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
    if (!this.qmp) throw new DetachedStartError(this.runDir, 'qemu', `no QMP connection for ${command}`, '');
    return this.qmp.execute(command, args, { signal: AbortSignal.timeout(timeoutMs) });
  }

  /** SIGKILL, recorded first as `killed` with the reason; resolves when QEMU is gone. */
  kill(reason: string): Promise<ExitRecord> {
    return this.proc.kill(reason);
  }

  /** Stops watching without touching QEMU (daemon shutdown). */
  detach(): void {
    this.proc.detach();
    this.qmp?.close();
    void this.logCap?.close();
  }

  private async connectQmp(timeoutMs: number): Promise<void> {
    const socket = qemuFiles(this.runDir).qmpSocket;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        this.useQmp(await QmpClient.connect(socket, { timeoutMs: Math.max(500, deadline - Date.now()) }));
        return;
      } catch (err) {
        if (Date.now() > deadline || !this.proc.alive()) throw err;
        await sleep(100);
      }
    }
  }

  private useQmp(qmp: QmpClient): void {
    this.qmp = qmp;
    qmp.onEvent((e) => void this.onQmpEvent(e));
    void qmp.closed.then(() => this.proc.check());
    this.setState('running');
  }

  private async onQmpEvent(e: QmpEvent): Promise<void> {
    this.log.debug({ runDir: this.runDir, event: e.event, data: e.data }, 'QMP event');
    if (e.event === 'STOP' && !this.resetting) this.setPaused(true);
    if (e.event === 'RESUME' && !this.resetting) this.setPaused(false);
    if (e.event === 'SHUTDOWN' && e.data?.guest === true && this.rebootPending) {
      // The soft reboot's power-off: QEMU paused instead of exiting; reset and go on.
      this.rebootPending = false;
      this.resetting = true;
      try {
        await this.execute('system_reset');
        await this.execute('cont');
      } finally {
        this.resetting = false;
        await this.execute('set-action', { shutdown: 'poweroff' }).catch(() => undefined);
      }
      this.log.info({ runDir: this.runDir }, 'soft reboot: the guest powered off and was reset');
      return;
    }
    if (e.event === 'SHUTDOWN' && e.data?.guest === true) {
      await this.proc.recordExit({ kind: 'shutdown', reason: `the guest powered off (${String(e.data.reason ?? 'guest-shutdown')})` }).catch(() => undefined);
    }
  }

  private setPaused(paused: boolean): void {
    if (this.paused === paused || this.state === 'exited') return;
    this.paused = paused;
    for (const l of this.listeners) l();
  }

  private setState(state: QemuProcess['state']): void {
    if (this.state === 'exited') return;
    this.state = state;
    for (const l of this.listeners) l();
  }
}
