// QEMU guests for end-to-end tests: TCG on q35 (KVM hangs on this machine), NICs on taps
// in a test namespace, BIOS (SeaBIOS) or UEFI (OVMF), optional direct kernel boot. The
// serial console is a unix socket (for typing) whose output QEMU also writes to a log
// file (for reading). Each guest runs in its own process group and is stopped, and its
// temp dir removed, in t.after whatever the test's outcome.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { normalizeMac } from '../../src/lib/mac.ts';
import type { Namespace, TestContextLike } from './netns.ts';

export const QEMU_BINARY = 'qemu-system-x86_64';
export const IPXE_ROM_DIR = '/usr/lib/ipxe/qemu';
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
export const OVMF_SECURE_CODE = '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd';
export const OVMF_SECURE_VARS = '/usr/share/OVMF/OVMF_VARS_4M.ms.fd';

export type NicModel = 'virtio-net-pci' | 'e1000';
/** QEMU's own ROM for each model (an iPXE build, BIOS and UEFI in one file). */
const ROM_FILES: Record<NicModel, string> = { 'virtio-net-pci': 'efi-virtio.rom', e1000: 'efi-e1000.rom' };
// QEMU looks for ROMs in its data directories; on Debian IPXE_ROM_DIR is one of them.

export interface GuestNic {
  /** Tap in the guest's namespace; without one the NIC exists but is connected to nothing. */
  tap?: string;
  mac: string;
  model?: NicModel;
  bootindex?: number;
  /** Load the iPXE option ROM; defaults to true unless the guest boots a kernel directly. */
  rom?: boolean;
}

export interface StartGuestOptions {
  /** Namespace QEMU runs in (where its taps are); without it QEMU runs in this namespace. */
  ns?: Namespace;
  nics: GuestNic[];
  firmware?: 'bios' | 'uefi';
  kernel?: string;
  initrd?: string;
  /** Kernel command line for direct kernel boot; default `console=ttyS0`. */
  append?: string;
  memoryMiB?: number;
  /**
   * UEFI only: OVMF's Secure Boot build with Microsoft's keys enrolled (SMM on, the pflash
   * marked secure), as the runtime runs a VMI with efi.secureBoot.
   */
  secureBoot?: boolean;
  /** Where the serial console is logged; default a file in the guest's temp dir. */
  serialLog?: string;
  /** More QEMU arguments (disks, CD-ROMs, -vnc …), appended as given. */
  extraArgs?: string[];
}

export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Only look at the log from this byte offset on (see Guest.logLength). */
  since?: number;
}

export interface Guest {
  readonly pid: number;
  readonly serialLog: string;
  /** QMP socket (JSON monitor) for screendump, system_reset and the like. */
  readonly qmpSocket: string;
  /** The full QEMU command line, for messages. */
  readonly argv: readonly string[];
  /** Resolves with the first match of `pattern` in the serial log; rejects on timeout or exit. */
  waitFor(pattern: RegExp | string, options?: WaitOptions): Promise<string>;
  /** Types text on the serial console (add "\n" to press Enter). */
  sendSerial(text: string): Promise<void>;
  /** The serial log's current length in bytes, for `waitFor(…, { since })`. */
  logLength(): Promise<number>;
  /** The serial log so far. */
  log(): Promise<string>;
  /** SIGTERM, then SIGKILL after a grace period; safe to call twice. */
  stop(): Promise<void>;
}

/** Raised when something QEMU needs is not installed. */
export class QemuUnavailableError extends Error {
  constructor(
    readonly what: string,
    readonly path: string,
    readonly debianPackage: string,
  ) {
    super(`${what} not found at ${path} (install ${debianPackage})`);
    this.name = 'QemuUnavailableError';
  }
}

/** Raised when the serial log did not show what was awaited in time. */
export class GuestWaitTimeoutError extends Error {
  constructor(
    readonly pattern: string,
    readonly timeoutMs: number,
    readonly serialLog: string,
    readonly tail: string,
  ) {
    super(`guest: waited ${timeoutMs} ms for ${pattern} in the serial log ${serialLog}; it did not appear. Last lines:\n${tail}`);
    this.name = 'GuestWaitTimeoutError';
  }
}

/** Raised when QEMU exited while something was still awaited (or before it was stopped). */
export class GuestExitedError extends Error {
  constructor(
    readonly pattern: string,
    readonly exit: string,
    readonly stderr: string,
    readonly tail: string,
  ) {
    super(`guest: QEMU exited (${exit}) while waiting for ${pattern}. QEMU said:\n${stderr || '(nothing)'}\nLast serial lines:\n${tail}`);
    this.name = 'GuestExitedError';
  }
}

/** Raised when waitFor was cancelled through its signal. */
export class GuestWaitAbortedError extends Error {
  constructor(readonly pattern: string) {
    super(`guest: waiting for ${pattern} was aborted`);
    this.name = 'GuestWaitAbortedError';
  }
}

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function missing(needs: { firmware?: 'bios' | 'uefi'; roms?: readonly NicModel[]; taps?: boolean }): QemuUnavailableError | undefined {
  if (onPath(QEMU_BINARY) === undefined) return new QemuUnavailableError(QEMU_BINARY, `PATH (${process.env.PATH ?? ''})`, 'qemu-system-x86');
  if (needs.firmware === 'uefi') {
    for (const f of [OVMF_CODE, OVMF_VARS]) if (!existsSync(f)) return new QemuUnavailableError('OVMF firmware', f, 'ovmf');
  }
  for (const model of needs.roms ?? []) {
    const rom = join(IPXE_ROM_DIR, ROM_FILES[model]);
    if (!existsSync(rom)) return new QemuUnavailableError(`iPXE ROM for ${model}`, rom, 'ipxe-qemu');
  }
  if (needs.taps && !existsSync('/dev/net/tun')) return new QemuUnavailableError('tun/tap device', '/dev/net/tun', 'a kernel with CONFIG_TUN');
  return undefined;
}

/** Returns why guests with these needs cannot start here (a skip reason), or undefined. */
export async function qemuUnavailable(needs: { firmware?: 'bios' | 'uefi'; roms?: readonly NicModel[]; taps?: boolean } = {}): Promise<string | undefined> {
  return missing(needs)?.message;
}

// QEMU option values: a comma is written as two.
const optValue = (s: string) => s.replaceAll(',', ',,');

function qemuArgs(o: StartGuestOptions, dir: string, serialLog: string, firmwareFiles: { varsCopy?: string; sercon?: string }): string[] {
  const { varsCopy, sercon } = firmwareFiles;
  const secure = o.secureBoot === true && varsCopy !== undefined;
  const args = ['-name', 'pxevirt-test', '-machine', secure ? 'q35,smm=on' : 'q35', '-accel', 'tcg', '-smp', '1', '-m', String(o.memoryMiB ?? 256)];
  // -nodefaults drops QEMU's implicit NIC, serial, monitor and VGA; add back what we want.
  args.push('-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'std');
  args.push('-chardev', `socket,id=s0,path=${optValue(join(dir, 'serial.sock'))},server=on,wait=off,logfile=${optValue(serialLog)},logappend=off`);
  args.push('-serial', 'chardev:s0');
  args.push('-qmp', `unix:${optValue(join(dir, 'qmp.sock'))},server=on,wait=off`);
  if (sercon !== undefined) {
    // SeaBIOS mirrors its text output (and iPXE's, which prints through the BIOS) to COM1.
    args.push('-fw_cfg', `name=etc/sercon-port,file=${optValue(sercon)}`);
  }
  if (varsCopy !== undefined) {
    if (secure) args.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${optValue(secure ? OVMF_SECURE_CODE : OVMF_CODE)}`);
    args.push('-drive', `if=pflash,format=raw,unit=1,file=${optValue(varsCopy)}`);
  }
  o.nics.forEach((nic, i) => {
    const mac = normalizeMac(nic.mac);
    if (mac === undefined) throw new Error(`nics[${i}].mac: expected a MAC address such as 52:54:00:12:34:56, found ${JSON.stringify(nic.mac)}`);
    const model = nic.model ?? 'virtio-net-pci';
    const rom = nic.rom ?? o.kernel === undefined;
    // QEMU patches the PCI ids in its *default* ROM to match the device (a modern-only
    // virtio-net on q35 differs from the ROM's); SeaBIOS skips a ROM named explicitly, even
    // the same file. So: the default (found through QEMU's -L path) or none.
    let device = `${model},id=nic${i},mac=${mac}${rom ? '' : ',romfile='}`;
    if (nic.tap !== undefined) {
      args.push('-netdev', `tap,id=n${i},ifname=${optValue(nic.tap)},script=no,downscript=no`);
      device += `,netdev=n${i}`;
    }
    if (nic.bootindex !== undefined) device += `,bootindex=${nic.bootindex}`;
    args.push('-device', device);
  });
  if (o.kernel !== undefined) {
    args.push('-kernel', o.kernel, '-append', o.append ?? 'console=ttyS0');
    if (o.initrd !== undefined) args.push('-initrd', o.initrd);
  }
  args.push(...(o.extraArgs ?? []));
  return args;
}

// Whether `promise` settled within `ms`; the timer is cleared so it keeps nothing alive.
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const ac = new AbortController();
  const timeout = sleep(ms, false, { signal: ac.signal }).catch(() => false);
  const settled = await Promise.race([promise.then(() => true), timeout]);
  ac.abort();
  return settled;
}

const describe = (p: RegExp | string) => (typeof p === 'string' ? JSON.stringify(p) : String(p));

// Readable tail of a console log: control sequences and carriage returns removed.
function tailOf(text: string, lines = 25): string {
  const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return clean.split('\n').slice(-lines).map((l) => `  | ${l}`).join('\n');
}

/** Starts a QEMU guest and registers its stop and the removal of its temp dir with t.after. */
export async function startGuest(t: TestContextLike, options: StartGuestOptions): Promise<Guest> {
  const firmware = options.firmware ?? 'bios';
  const roms = options.nics.filter((n) => n.rom ?? options.kernel === undefined).map((n) => n.model ?? 'virtio-net-pci');
  if (options.secureBoot && firmware !== 'uefi') throw new Error(`guest: secureBoot: expected firmware uefi, found ${firmware}`);
  const unavailable = missing({ firmware, roms, taps: options.nics.some((n) => n.tap !== undefined) });
  if (unavailable) throw unavailable;
  for (const f of [options.kernel, options.initrd]) if (f !== undefined && !existsSync(f)) throw new Error(`guest: expected a kernel/initrd file at ${f}, found nothing`);
  if (firmware === 'uefi' && options.kernel !== undefined && (await readFile(options.kernel)).subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'))) {
    throw new Error(`guest: OVMF boots a bzImage (EFI stub), not the ELF kernel ${options.kernel}; pass the vmlinuz`);
  }

  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-qemu-'));
  let stop: () => Promise<void> = async () => undefined;
  t.after(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });

  const serialLog = options.serialLog ?? join(dir, 'serial.log');
  const firmwareFiles: { varsCopy?: string; sercon?: string } = {};
  if (firmware === 'uefi') {
    firmwareFiles.varsCopy = join(dir, 'OVMF_VARS.fd');
    await copyFile(options.secureBoot ? OVMF_SECURE_VARS : OVMF_VARS, firmwareFiles.varsCopy);
  } else {
    firmwareFiles.sercon = join(dir, 'sercon-port');
    await writeFile(firmwareFiles.sercon, Buffer.from([0xf8, 0x03])); // 0x3f8, little-endian
  }
  const argv = qemuArgs(options, dir, serialLog, firmwareFiles);
  const stdio = ['ignore', 'pipe', 'pipe'] as const;
  const child: ChildProcess = options.ns ? options.ns.spawn(QEMU_BINARY, argv, { stdio: [...stdio] }) : spawn(QEMU_BINARY, argv, { stdio: [...stdio], detached: true });

  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitText: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exitText = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
    child.on('error', (err) => {
      exitText = `could not start: ${err.message}`;
      resolve();
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    await exited;
    throw new GuestExitedError('start', exitText ?? 'no pid', output.trim(), '');
  }
  // Should the test process die without its after hooks, do not leave QEMU behind.
  const killOnExit = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  process.on('exit', killOnExit);

  const readLog = () => readFile(serialLog).catch(() => Buffer.alloc(0));
  let serial: Socket | undefined;
  let stopping: Promise<void> | undefined;
  stop = () =>
    (stopping ??= (async () => {
      serial?.destroy();
      if (exitText === undefined) {
        const signalGroup = (sig: NodeJS.Signals) => {
          try {
            process.kill(-pid, sig);
          } catch {
            /* already gone */
          }
        };
        signalGroup('SIGTERM');
        if (!(await within(exited, 5000))) {
          signalGroup('SIGKILL');
          await within(exited, 5000);
        }
      }
      process.removeListener('exit', killOnExit);
    })());

  const connectSerial = async (): Promise<Socket> => {
    const path = join(dir, 'serial.sock');
    for (let attempt = 0; ; attempt++) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = createConnection(path, () => resolve(s));
          s.once('error', reject);
        });
        // The log file is where output is read; drain the socket so QEMU never blocks on it.
        socket.on('data', () => undefined);
        socket.on('error', () => undefined);
        return socket;
      } catch (err) {
        if (attempt >= 50 || exitText !== undefined) throw new Error(`guest: cannot connect to the serial socket ${path}: ${(err as Error).message}`);
        await sleep(100);
      }
    }
  };

  const guest: Guest = {
    pid,
    serialLog,
    qmpSocket: join(dir, 'qmp.sock'),
    argv: [QEMU_BINARY, ...argv],
    async waitFor(pattern, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? 60_000;
      const deadline = Date.now() + timeoutMs;
      const since = waitOptions.since ?? 0;
      for (;;) {
        const text = (await readLog()).subarray(since).toString('utf8');
        const found = typeof pattern === 'string' ? (text.includes(pattern) ? pattern : undefined) : pattern.exec(text)?.[0];
        if (found !== undefined) return found;
        if (waitOptions.signal?.aborted) throw new GuestWaitAbortedError(describe(pattern));
        if (exitText !== undefined) throw new GuestExitedError(describe(pattern), exitText, output.trim(), tailOf(text));
        if (Date.now() >= deadline) throw new GuestWaitTimeoutError(describe(pattern), timeoutMs, serialLog, tailOf(text));
        await sleep(150);
      }
    },
    async sendSerial(text) {
      serial ??= await connectSerial();
      const socket = serial;
      await new Promise<void>((resolve, reject) => socket.write(text, (err) => (err ? reject(err) : resolve())));
    },
    async logLength() {
      return (await readLog()).length;
    },
    async log() {
      return (await readLog()).toString('utf8');
    },
    stop: () => stop(),
  };
  return guest;
}
