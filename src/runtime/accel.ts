// Which accelerator guests get: KVM only when a probe proves it runs a guest. On some hosts
// /dev/kvm exists and SeaBIOS even runs, yet a Linux kernel hangs; so the probe boots the
// host's kernel (no initramfs) and waits for its first console line, with a timeout.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export type Accel = 'kvm' | 'tcg';

export interface AccelProbeResult {
  accel: Accel;
  /** Why KVM was not chosen (for logs and the SoftwareEmulation condition). */
  reason: string;
}

export interface AccelProbeOptions {
  /** Default qemu-system-x86_64 (from PATH). */
  qemuBinary?: string;
  /** The KVM device that must exist before QEMU is tried; default /dev/kvm. */
  kvmDevice?: string;
  /** Default: the newest /boot/vmlinuz-*. */
  kernel?: string;
  timeoutMs?: number;
}

/** The newest /boot/vmlinuz-* (by name), or undefined. */
async function findKernel(): Promise<string | undefined> {
  const names = await readdir('/boot').catch(() => [] as string[]);
  const kernels = names.filter((n) => n.startsWith('vmlinuz-')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const last = kernels.at(-1);
  return last === undefined ? undefined : join('/boot', last);
}

/** Boots a kernel under KVM and reports whether it printed its banner within the timeout. */
export async function probeKvm(options: AccelProbeOptions = {}): Promise<AccelProbeResult> {
  const kvmDevice = options.kvmDevice ?? '/dev/kvm';
  if (!existsSync(kvmDevice)) return { accel: 'tcg', reason: `${kvmDevice} does not exist` };
  const kernel = options.kernel ?? (await findKernel());
  if (kernel === undefined) return { accel: 'tcg', reason: 'no kernel under /boot to probe KVM with' };
  const timeoutMs = options.timeoutMs ?? 5000;
  const args = ['-accel', 'kvm', '-machine', 'q35', '-nodefaults', '-no-user-config', '-display', 'none', '-m', '128', '-no-reboot'];
  args.push('-serial', 'stdio', '-kernel', kernel, '-append', 'console=ttyS0 panic=-1');
  return new Promise<AccelProbeResult>((resolve) => {
    const child = spawn(options.qemuBinary ?? 'qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let settled = false;
    const finish = (result: AccelProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      resolve(result);
    };
    const timer = setTimeout(() => finish({ accel: 'tcg', reason: `a KVM guest printed no kernel banner within ${timeoutMs} ms` }), timeoutMs);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4096);
      if (output.includes('Linux version')) finish({ accel: 'kvm', reason: 'a KVM guest booted its kernel' });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => finish({ accel: 'tcg', reason: `cannot start QEMU for the KVM probe: ${err.message}` }));
    child.on('close', (code, signal) => {
      if (!settled) finish({ accel: 'tcg', reason: `the KVM probe exited (${signal ?? `code ${code}`}) before the kernel banner: ${output.trim().split('\n').slice(-3).join(' | ')}` });
    });
  });
}

/** A probe that runs once and answers from its cache afterwards (one per process). */
export function createAccelProbe(options: AccelProbeOptions = {}): () => Promise<AccelProbeResult> {
  let cached: Promise<AccelProbeResult> | undefined;
  return () => (cached ??= probeKvm(options));
}
