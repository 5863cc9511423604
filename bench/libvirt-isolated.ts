// Debian's libvirtd (the daemon sushy-tools and virtualbmc drive), walled off for a benchmark on
// a shared machine: it runs in a network namespace of its own (only `lo`: whatever its network
// or nwfilter drivers did would stay there) and a private mount namespace where /run, /var/lib,
// /var/cache and /var/log are fresh tmpfs and /etc/libvirt is a directory of ours holding only
// libvirtd.conf and qemu.conf: no networks (no `default`, no virbr0), no autostart, no storage
// pools, no D-Bus or systemd to register with, no cgroups touched (`cgroup_controllers = []`),
// no security labels, QEMU's stdio in files (no virtlogd). Its sockets are in our work dir; virsh
// reaches it with `qemu:///system?socket=…`. stop() ends every process in the namespace by pid,
// deletes the namespace and the work dir, and is registered with the scope, so it runs even when
// the caller fails.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const LIBVIRTD = '/usr/sbin/libvirtd';
export const VIRSH = '/usr/bin/virsh';
/** Every namespace this module makes starts with it. */
export const NETNS_PREFIX = 'pxlv-';
/** Debian's uid for libvirt-qemu; named only inside the mount namespace, nothing runs as it. */
const FREE_ID = 64055;

export interface IsolatedLibvirt {
  /** The connection URI (the daemon's own socket). */
  uri: string;
  /** libvirtd's pid (the namespace's first process). */
  pid: number;
  netns: string;
  /** Our work dir: config, sockets, logs (removed by stop()). */
  dir: string;
  /** Runs virsh against this daemon; rejects with its stderr on a non-zero exit. */
  virsh(args: string[]): Promise<string>;
  /** Ends every process of the namespace, deletes it and the work dir. Idempotent. */
  stop(): Promise<void>;
}

export interface IsolatedLibvirtOptions {
  /** The user QEMU runs as (pxevirt runs its guests as pxevirt-qemu). */
  qemuUser?: string;
  log?: (line: string) => void;
}

/** Why the bench cannot run libvirt here, or undefined. */
export async function libvirtUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (a network namespace, a mount namespace)';
  for (const bin of [LIBVIRTD, VIRSH, '/usr/bin/unshare']) {
    try {
      await run(bin, ['--version']);
    } catch {
      return `needs ${bin} (Debian: libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients util-linux)`;
    }
  }
  return undefined;
}

const q = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/** The mount namespace's set-up, then libvirtd in place of the shell (same pid). */
function launcher(dir: string): string {
  return [
    'set -e',
    // Nothing we mount may reach the host's mount table.
    'mount --make-rprivate /',
    'for d in /run /var/lib /var/cache /var/log; do mount -t tmpfs -o mode=0755 tmpfs "$d"; done',
    'mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt',
    `mount --bind ${q(join(dir, 'etc'))} /etc/libvirt`,
    // The QEMU driver resolves its build-time default user before it reads qemu.conf; Debian's
    // libvirt-daemon-system would create that user on the host, we name it only in here.
    `mount --bind ${q(join(dir, 'passwd'))} /etc/passwd`,
    `mount --bind ${q(join(dir, 'group'))} /etc/group`,
    `exec ${LIBVIRTD} --config ${q(join(dir, 'etc/libvirtd.conf'))} --pid-file ${q(join(dir, 'libvirtd.pid'))}`,
  ].join('\n');
}

/** Starts the walled-off libvirtd and waits until virsh gets an answer from it. */
export async function startIsolatedLibvirt(scope: { after(fn: () => unknown): void }, options: IsolatedLibvirtOptions = {}): Promise<IsolatedLibvirt> {
  const log = options.log ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-bench-libvirt-'));
  await chmod(dir, 0o755); // QEMU (an unprivileged user) reaches the guest's files below it
  const netns = `${NETNS_PREFIX}${randomBytes(3).toString('hex')}`;
  let pid = 0;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // libvirtd first (so it does not restart anything), then whatever else is in the namespace: its QEMUs.
    const pids = [pid, ...(await run('ip', ['netns', 'pids', netns]).then((r) => r.stdout.split(/\s+/).filter(Boolean).map(Number), () => [] as number[]))];
    for (const p of pids) {
      if (p <= 0) continue;
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (let i = 0; i < 100; i++) {
      const left = (await run('ip', ['netns', 'pids', netns]).catch(() => ({ stdout: '' }))).stdout.trim();
      if (left === '') break;
      await sleep(50);
    }
    await run('ip', ['netns', 'delete', netns]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  scope.after(stop);

  await mkdir(join(dir, 'etc/qemu/networks/autostart'), { recursive: true });
  await mkdir(join(dir, 'sock'));
  const user = options.qemuUser ?? 'root';
  await writeFile(join(dir, 'etc/libvirtd.conf'), [
    `unix_sock_dir = ${q(join(dir, 'sock'))}`,
    'unix_sock_rw_perms = "0700"',
    'auth_unix_ro = "none"',
    'auth_unix_rw = "none"',
    'listen_tls = 0',
    'listen_tcp = 0',
    `log_outputs = ${q(`3:file:${join(dir, 'libvirtd.log')}`)}`,
    '',
  ].join('\n'));
  await writeFile(join(dir, 'etc/qemu.conf'), [
    `user = ${q(user)}`,
    `group = ${q(user)}`,
    // We own the guest's files ourselves: libvirt chowns nothing (not pxevirt's disk cache).
    'dynamic_ownership = 0',
    'remember_owner = 0',
    'security_driver = "none"',
    'cgroup_controllers = [ ]',
    'stdio_handler = "file"',
    '',
  ].join('\n'));

  const passwd = await readFile('/etc/passwd', 'utf8');
  const group = await readFile('/etc/group', 'utf8');
  const nl = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
  await writeFile(join(dir, 'passwd'), /^libvirt-qemu:/m.test(passwd) ? passwd : `${nl(passwd)}libvirt-qemu:x:${FREE_ID}:${FREE_ID}::/nonexistent:/usr/sbin/nologin\n`);
  await writeFile(join(dir, 'group'), /^libvirt-qemu:/m.test(group) ? group : `${nl(group)}libvirt-qemu:x:${FREE_ID}:\n`);
  await chmod(join(dir, 'passwd'), 0o644);
  await chmod(join(dir, 'group'), 0o644);

  await run('ip', ['netns', 'add', netns]);
  const child = spawn('ip', ['netns', 'exec', netns, '/usr/bin/unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', launcher(dir)], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  pid = child.pid ?? 0;
  const uri = `qemu:///system?socket=${join(dir, 'sock/libvirt-sock')}`;
  const virsh = async (args: string[]) => {
    try {
      return (await run(VIRSH, ['-q', '-c', uri, ...args], { timeout: 120_000 })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`virsh ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
    }
  };
  for (let i = 0; ; i++) {
    if (exited !== undefined) throw new Error(`libvirtd exited ${exited} at start: ${stderr.trim()} ${await readFile(join(dir, 'libvirtd.log'), 'utf8').catch(() => '')}`);
    const ok = await virsh(['version']).then(() => true, () => false);
    if (ok) break;
    if (i > 300) throw new Error(`libvirtd did not answer on ${uri} within 30 s: ${stderr.trim()}`);
    await sleep(100);
  }
  log(`bench libvirt: libvirtd ${pid} up in netns ${netns}, socket ${uri}`);
  return { uri, pid, netns, dir, virsh, stop };
}
