// Builds the small guest the end-to-end tests boot: the newest installed Debian kernel and
// a gzip'd newc initramfs with busybox, the NIC/disk/CD modules and an /init that prints
// what the tests look for (see guest/init-script.ts). Cached under build/guest/<name>/,
// rebuilt only when an input changes (a hash of them is kept in stamp.json). With
// `arch: 'arm64'` the kernel, modules and busybox come from Debian's arm64 packages, fetched
// and unpacked under build/arm64/root by scripts/arm64-files.sh (the host stays amd64-only).
//
//   node --import tsx scripts/test-guest.ts NAME [OUTDIR] [arm64]   → prints {kernel, initrd, marker}
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { guestMarker, initScript, udhcpcScript } from './guest/init-script.ts';
import { resolveLoadOrder } from './guest/modules-dep.ts';
import { encodeNewc, type NewcEntry } from './guest/newc.ts';
import { ensureSshKeys, sshServerEntries, sshServerInitLines, type GuestSshKeys } from './guest/ssh-server.ts';

const run = promisify(execFile);

/** Guest architectures: the host's own (amd64) or Debian's arm64 packages. */
export type GuestArch = 'amd64' | 'arm64';

/** Bump when the image layout changes in a way the inputs do not show. */
const FORMAT = 2;
const BUSYBOX = '/bin/busybox';

/** Modules the guest loads (dependencies follow from modules.dep); missing ones are skipped. */
export const GUEST_MODULES: readonly string[] = [
  'virtio_pci', 'virtio_net', 'e1000', 'e1000e',
  'virtio_blk', 'virtio_scsi', 'sd_mod', 'sr_mod', 'ahci', 'cdrom', 'isofs',
];
/**
 * With `acpi`: the ACPI power button reaches busybox acpid, whose handler prints a line and
 * powers off, as a Linux guest with acpid or systemd-logind does (KubeVirt's graceful stop and
 * soft reboot both press that button). Without it the guest ignores the button, which some
 * tests rely on (a grace period that runs out).
 */
const ACPI_MODULES: readonly string[] = ['button', 'evdev'];
export const ACPI_POWER_BUTTON_LINE = 'PXEVIRT-GUEST power button, powering off';
const ACPI_POWER_BUTTON_SCRIPT = `#!/bin/sh\necho "${ACPI_POWER_BUTTON_LINE}" > /dev/console\npoweroff -f\n`;
const ACPI_INIT_LINES = 'acpid -c /etc/acpi -l /run/acpid.log && echo "PXEVIRT-GUEST acpid up"\n';

/** Of GUEST_MODULES, those without which the guest is no use (a build without them fails). */
const REQUIRED_MODULES = new Set(['virtio_pci', 'virtio_net']);

export interface TestGuest {
  kernel: string;
  initrd: string;
  /**
   * The same kernel uncompressed (an ELF with a PVH entry): QEMU boots it directly under
   * BIOS about 7 s sooner, skipping the decompression TCG is slow at. Not bootable by OVMF.
   * Absent when the kernel is not xz-compressed.
   */
  vmlinux?: string;
  /** The console line the guest prints once its init runs: `PXEVIRT-GUEST name=<name> ok`. */
  marker: string;
  /** With `sshServer`: the keys (dropbear on port 22 and busybox httpd on port 80 run in the guest). */
  ssh?: GuestSshKeys;
}

/** Raised when the machine lacks something the guest is built from (kernel, busybox, module). */
export class GuestInputMissingError extends Error {
  constructor(
    readonly what: string,
    readonly expected: string,
    readonly hint: string,
  ) {
    super(`test guest: ${what} not found (expected ${expected}); ${hint}`);
    this.name = 'GuestInputMissingError';
  }
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[^0-9]+/).filter(Boolean).map(Number);
  const pb = b.split(/[^0-9]+/).filter(Boolean).map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

/** The newest kernel version with both <sysroot>/boot/vmlinuz-V and <sysroot>/lib/modules/V. */
export async function newestKernelVersion(sysroot = '/'): Promise<string> {
  const boot = await readdir(join(sysroot, 'boot')).catch(() => [] as string[]);
  const versions = boot
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .filter((v) => existsSync(join(sysroot, 'lib/modules', v, 'modules.dep')))
    .sort(compareVersions);
  const newest = versions.at(-1);
  if (newest === undefined) {
    throw new GuestInputMissingError('kernel', `${join(sysroot, 'boot')}/vmlinuz-VERSION with ${join(sysroot, 'lib/modules')}/VERSION/modules.dep`, sysroot === '/' ? 'install linux-image-amd64' : `run scripts/arm64-files.sh`);
  }
  return newest;
}

/** Returns why the guest cannot be built here, or undefined when it can. */
export async function testGuestUnavailable(): Promise<string | undefined> {
  try {
    await newestKernelVersion();
  } catch (err) {
    return (err as Error).message;
  }
  if (!existsSync(BUSYBOX)) return `test guest: ${BUSYBOX} not found; install busybox-static`;
  return undefined;
}

async function isStaticBusybox(path: string): Promise<boolean> {
  // A dynamically linked busybox would need its libraries in the initramfs (its ELF
  // interpreter is /lib64/ld-linux-x86-64.so.2 or /lib/ld-linux-aarch64.so.1).
  const head = (await readFile(path)).subarray(0, 4096);
  return !head.includes(Buffer.from('/ld-linux'));
}

const repoBuild = (...parts: string[]) => join(repoRoot, 'build', ...parts);

/**
 * The tree a guest of `arch` is made from: `/` for amd64; for arm64 Debian's arm64 packages
 * unpacked by scripts/arm64-files.sh (run here, cached: a fresh clone fetches them once).
 */
export async function guestSysroot(arch: GuestArch, log: (line: string) => void = () => undefined): Promise<string> {
  if (arch === 'amd64') return '/';
  const out = repoBuild('arm64');
  const { stderr } = await run('bash', [join(repoRoot, 'scripts/arm64-files.sh'), out], { maxBuffer: 16 << 20 });
  for (const line of stderr.split('\n').filter((l) => l.startsWith('arm64-files:'))) log(line);
  return join(out, 'root');
}

/** The network GRUB for arm64 UEFI that scripts/arm64-files.sh builds (see src/pxe/boot-plan.ts). */
export const arm64GrubImage = (): string => repoBuild('arm64', 'grubaa64.efi');

async function readModule(path: string): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFile(path);
  if (path.endsWith('.ko.gz')) return gunzipSync(await readFile(path));
  // busybox insmod loads plain .ko only: decompress.
  const tool = path.endsWith('.ko.xz') ? 'xz' : path.endsWith('.ko.zst') ? 'zstd' : undefined;
  if (tool === undefined) throw new Error(`unknown module file type: ${path}`);
  const { stdout } = await run(tool, ['-dc', path], { encoding: 'buffer', maxBuffer: 256 << 20 });
  return stdout;
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** Writes the ELF kernel inside a bzImage (its xz payload, decompressed); false when there is none. */
async function extractVmlinux(bzImage: Buffer, out: string): Promise<boolean> {
  const at = bzImage.indexOf(XZ_MAGIC);
  if (at < 0) return false;
  const xz = spawn('xz', ['-dc', '--single-stream'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const file = createWriteStream(out);
  xz.stdout.pipe(file);
  xz.stdin.on('error', () => undefined); // xz stops reading at the end of the stream
  xz.stdin.end(bzImage.subarray(at));
  const code = await new Promise<number | null>((resolve) => xz.on('close', resolve));
  await new Promise<void>((resolve) => (file.writableFinished ? resolve() : file.on('finish', () => resolve())));
  if (code !== 0) return false;
  const head = Buffer.alloc(4);
  const fh = await open(out);
  await fh.read(head, 0, 4, 0);
  await fh.close();
  return head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
}

const plainKo = (path: string) => path.replace(/\.ko\.(xz|zst|gz)$/, '.ko');

// The host's busybox names the applets: an arm64 busybox cannot run here, and Debian builds
// busybox-static with one configuration for every architecture.
async function busyboxApplets(): Promise<string[]> {
  const { stdout } = await run(BUSYBOX, ['--list']);
  return stdout.split('\n').filter((a) => /^[A-Za-z0-9_.[\]-]+$/.test(a) && a !== 'busybox');
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Builds (or reuses) the guest kernel + initramfs for `name`; see the file comment. */
export async function buildTestGuest(options: { name: string; outDir?: string; log?: (line: string) => void; modules?: readonly string[]; sshServer?: boolean; acpi?: boolean; arch?: GuestArch }): Promise<TestGuest> {
  const { name } = options;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    throw new Error(`test guest name: expected letters, digits, '.', '_' or '-' (at most 63), found ${JSON.stringify(name)}`);
  }
  const log = options.log ?? (() => undefined);
  const outDir = resolve(options.outDir ?? join(repoRoot, 'build', 'guest', name));
  const kernelOut = join(outDir, 'vmlinuz');
  const vmlinuxOut = join(outDir, 'vmlinux');
  const initrdOut = join(outDir, 'initrd.gz');
  const stampPath = join(outDir, 'stamp.json');
  const sshKeys = options.sshServer ? await ensureSshKeys(join(outDir, 'ssh')) : undefined;
  const result: TestGuest = { kernel: kernelOut, initrd: initrdOut, marker: guestMarker(name), ...(sshKeys ? { ssh: { privateKey: sshKeys.privateKey, publicKey: sshKeys.publicKey, hostPublicKey: sshKeys.hostPublicKey } } : {}) };

  const arch = options.arch ?? 'amd64';
  const sysroot = await guestSysroot(arch, log);
  const version = await newestKernelVersion(sysroot);
  const busyboxPath = join(sysroot, BUSYBOX);
  if (!existsSync(busyboxPath)) throw new GuestInputMissingError('busybox', busyboxPath, 'install busybox-static');
  if (!(await isStaticBusybox(busyboxPath))) throw new GuestInputMissingError('static busybox', `a statically linked ${busyboxPath}`, 'install busybox-static');
  const modDir = join(sysroot, 'lib/modules', version);
  const depText = await readFile(join(modDir, 'modules.dep'), 'utf8');
  const builtinText = await readFile(join(modDir, 'modules.builtin'), 'utf8').catch(() => '');
  const wanted = [...(options.modules ?? GUEST_MODULES), ...(options.acpi ? ACPI_MODULES : [])];
  const plan = resolveLoadOrder(depText, builtinText, wanted);
  const missingRequired = plan.missing.filter((m) => REQUIRED_MODULES.has(m));
  if (missingRequired.length > 0) {
    throw new GuestInputMissingError(`module ${missingRequired.join(', ')}`, `in ${modDir}/modules.dep or modules.builtin`, 'install linux-image-amd64');
  }
  if (plan.missing.length > 0) log(`test guest ${name}: modules not available, skipped: ${plan.missing.join(', ')}`);

  const services = `${sshKeys ? sshServerInitLines() : ''}${options.acpi ? ACPI_INIT_LINES : ''}`;
  const init = services ? initScript(name, { services }) : initScript(name);
  const udhcpc = udhcpcScript();
  const busybox = await readFile(busyboxPath);
  const kernelPath = join(sysroot, 'boot', `vmlinuz-${version}`);
  const kernelImage = await readFile(kernelPath);
  const hash = sha256(
    JSON.stringify({
      format: FORMAT,
      arch,
      version,
      kernel: sha256(kernelImage),
      busybox: sha256(busybox),
      init,
      udhcpc,
      modules: plan.order,
      depText: sha256(depText),
      ...(sshKeys ? { ssh: [sha256(await readFile(sshKeys.publicKey)), sha256(await readFile(sshKeys.hostKey)), sha256(await readFile('/usr/sbin/dropbear'))] } : {}),
    }),
  );

  const stamp = await readFile(stampPath, 'utf8').then((s) => JSON.parse(s) as { hash?: string; vmlinux?: boolean }, () => undefined);
  if (stamp?.hash === hash && existsSync(kernelOut) && existsSync(initrdOut) && (!stamp.vmlinux || existsSync(vmlinuxOut))) {
    log(`test guest ${name}: up to date in ${outDir}`);
    return stamp.vmlinux ? { ...result, vmlinux: vmlinuxOut } : result;
  }

  log(`test guest ${name}: building from kernel ${version} with ${plan.order.length} modules`);
  const entries: NewcEntry[] = [];
  const dirs = new Set<string>();
  const dir = (path: string) => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ type: 'dir', path: d });
      }
    }
  };
  for (const d of ['bin', 'dev', 'etc', 'lib', 'mnt', 'proc', 'root', 'run', 'sys', 'tmp', 'usr']) dir(d);
  entries.push({ type: 'char', path: 'dev/console', major: 5, minor: 1 });
  entries.push({ type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 });
  entries.push({ type: 'symlink', path: 'sbin', target: 'bin' });
  entries.push({ type: 'symlink', path: 'usr/bin', target: '../bin' });
  entries.push({ type: 'symlink', path: 'usr/sbin', target: '../bin' });
  entries.push({ type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 });
  for (const applet of await busyboxApplets()) entries.push({ type: 'symlink', path: `bin/${applet}`, target: 'busybox' });
  entries.push({ type: 'file', path: 'init', data: Buffer.from(init), mode: 0o755 });
  entries.push({ type: 'file', path: 'etc/udhcpc.script', data: Buffer.from(udhcpc), mode: 0o755 });
  entries.push({ type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n') });
  entries.push({ type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\n') });
  entries.push({ type: 'file', path: 'etc/profile', data: Buffer.from(`export PS1='${name}# '\n`) });
  // Modules keep their place under /lib/modules/VERSION, with a modules.dep of just them,
  // so busybox modprobe works in the guest too; /etc/modules.load is the order init uses.
  const kos = plan.order.map(plainKo);
  for (const [i, path] of plan.order.entries()) {
    const target = `lib/modules/${version}/${kos[i]}`;
    dir(dirname(target));
    entries.push({ type: 'file', path: target, data: await readModule(join(modDir, path)) });
  }
  const wantedSet = new Set(plan.order);
  const guestDep = depText
    .split('\n')
    .filter((line) => wantedSet.has(line.slice(0, line.indexOf(':'))))
    .map((line) => line.replace(/\.ko\.(xz|zst|gz)\b/g, '.ko'))
    .join('\n');
  entries.push({ type: 'file', path: `lib/modules/${version}/modules.dep`, data: Buffer.from(`${guestDep}\n`) });
  entries.push({ type: 'file', path: 'etc/modules.load', data: Buffer.from(kos.map((k) => `${k}\n`).join('')) });
  if (sshKeys) entries.push(...(await sshServerEntries(name, sshKeys, dir)));
  if (options.acpi) {
    dir('etc/acpi/PWRF');
    entries.push({ type: 'file', path: 'etc/acpi/PWRF/00000080', data: Buffer.from(ACPI_POWER_BUTTON_SCRIPT), mode: 0o755 });
  }

  const initrd = gzipSync(encodeNewc(entries), { level: 9 });
  await mkdir(outDir, { recursive: true });
  // Write beside, then rename: a reader never sees half a file.
  const tmp = `.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  await rm(stampPath, { force: true });
  await copyFile(kernelPath, kernelOut + tmp);
  await rename(kernelOut + tmp, kernelOut);
  await writeFile(initrdOut + tmp, initrd);
  await rename(initrdOut + tmp, initrdOut);
  // arm64's Image is uncompressed already (and direct kernel boot is for the x86 tests).
  const vmlinux = arch === 'amd64' && (await extractVmlinux(kernelImage, vmlinuxOut + tmp));
  if (vmlinux) await rename(vmlinuxOut + tmp, vmlinuxOut);
  else {
    await rm(vmlinuxOut + tmp, { force: true });
    log(`test guest ${name}: no xz payload in the kernel image, so no uncompressed vmlinux`);
  }
  await writeFile(stampPath, `${JSON.stringify({ hash, version, vmlinux, modules: plan.order, builtAt: new Date().toISOString() }, null, 2)}\n`);
  log(`test guest ${name}: wrote ${kernelOut}${vmlinux ? ', vmlinux' : ''} and ${initrdOut} (${(initrd.length / 1024).toFixed(0)} KiB)`);
  return vmlinux ? { ...result, vmlinux: vmlinuxOut } : result;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [name, outDir, arch] = process.argv.slice(2);
  if (name === undefined) {
    process.stderr.write('usage: node --import tsx scripts/test-guest.ts NAME [OUTDIR]\n');
    process.exit(2);
  }
  buildTestGuest({ name, ...(outDir === undefined || outDir === '' ? {} : { outDir }), ...(arch === 'arm64' ? { arch } : {}), log: (line) => process.stderr.write(`${line}\n`) }).then(
    (guest) => process.stdout.write(`${JSON.stringify(guest)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
