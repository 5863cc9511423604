// Builds the containerDisk the end-to-end tests boot: a small raw disk image (an
// unpartitioned FAT filesystem with SYSLINUX, which SeaBIOS boots) holding the test
// guest's kernel and initramfs (scripts/test-guest.ts), and an OCI image layout of it
// in KubeVirt's containerDisk shape (one layer, exactly one file under disk/), which
// `skopeo copy oci:DIR:TAG docker://…` pushes to a registry. The disk is cached under
// build/disk/<name>/ and rebuilt only when an input changes (hash kept in stamp.json).
//
//   node --import tsx scripts/guest/disk-image.ts NAME [OCIDIR]   → prints {path, format, marker[, ociDir]}
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { buildTestGuest } from '../test-guest.ts';
import type { GuestSshKeys } from './ssh-server.ts';
import { ustarStream, type UstarEntry } from './ustar.ts';

const run = promisify(execFile);

/** Bump when the image layout changes in a way the inputs do not show. */
const FORMAT = 1;
const MiB = 1024 * 1024;

export interface TestDisk {
  /** The raw disk image. */
  path: string;
  format: 'raw';
  /** The console line the guest prints once its init runs: `PXEVIRT-GUEST name=<name> ok`. */
  marker: string;
  /** Built with `sshServer`: the keys of the guest's SSH server (see scripts/guest/ssh-server.ts). */
  ssh?: GuestSshKeys;
}

/** Raised when a tool the disk is built with is missing or fails. */
export class DiskToolError extends Error {
  constructor(
    readonly tool: string,
    readonly debianPackage: string,
    readonly detail: string,
  ) {
    super(`test disk: ${tool} failed (it comes with the Debian package ${debianPackage}): ${detail}`);
    this.name = 'DiskToolError';
  }
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

async function tool(cmd: string, args: string[], debianPackage: string, env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new DiskToolError(cmd, debianPackage, (e.stderr ?? '').trim() || e.message);
  }
}

/** The SYSLINUX configuration: boot the kernel at once, console on the first serial port. */
export function syslinuxConfig(): string {
  return ['SERIAL 0 115200', 'DEFAULT linux', 'PROMPT 0', 'TIMEOUT 0', 'LABEL linux', '  KERNEL vmlinuz', '  APPEND initrd=initrd.gz console=ttyS0 quiet no_timer_check', ''].join('\n');
}

/** Builds (or reuses) the bootable raw disk for `name`; see the file comment. */
export async function buildTestDisk(options: { name: string; outDir?: string; log?: (line: string) => void; sshServer?: boolean; acpi?: boolean }): Promise<TestDisk> {
  const { name } = options;
  const log = options.log ?? (() => undefined);
  const guest = await buildTestGuest({ name, log, ...(options.sshServer ? { sshServer: true } : {}), ...(options.acpi ? { acpi: true } : {}) });
  const outDir = resolve(options.outDir ?? join(repoRoot, 'build', 'disk', name));
  const diskOut = join(outDir, 'disk.img');
  const stampPath = join(outDir, 'stamp.json');
  const result: TestDisk = { path: diskOut, format: 'raw', marker: guest.marker, ...(guest.ssh ? { ssh: guest.ssh } : {}) };

  const [kernel, initrd] = await Promise.all([readFile(guest.kernel), readFile(guest.initrd)]);
  const syslinuxVersion = (await tool('syslinux', ['--version'], 'syslinux').catch(() => '')).trim();
  const cfg = syslinuxConfig();
  const hash = sha256(JSON.stringify({ format: FORMAT, kernel: sha256(kernel), initrd: sha256(initrd), cfg, syslinuxVersion }));
  const stamp = await readFile(stampPath, 'utf8').then((s) => JSON.parse(s) as { hash?: string }, () => undefined);
  if (stamp?.hash === hash && existsSync(diskOut)) {
    log(`test disk ${name}: up to date in ${outDir}`);
    return result;
  }

  log(`test disk ${name}: building ${diskOut}`);
  await mkdir(outDir, { recursive: true });
  await rm(stampPath, { force: true });
  const tmp = `${diskOut}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  const cfgFile = `${tmp}.cfg`;
  try {
    // FAT with room for the files plus some slack for the FAT itself and ldlinux.
    const sizeKiB = (Math.ceil((kernel.length + initrd.length) / MiB) + 4) * 1024;
    await tool('mkfs.vfat', ['-n', 'PXEVIRT', '-C', tmp, String(sizeKiB)], 'dosfstools');
    await tool('syslinux', ['--install', tmp], 'syslinux');
    await writeFile(cfgFile, cfg);
    const env = { MTOOLS_SKIP_CHECK: '1' };
    await tool('mcopy', ['-i', tmp, guest.kernel, '::vmlinuz'], 'mtools', env);
    await tool('mcopy', ['-i', tmp, guest.initrd, '::initrd.gz'], 'mtools', env);
    await tool('mcopy', ['-i', tmp, cfgFile, '::syslinux.cfg'], 'mtools', env);
    await rename(tmp, diskOut);
  } finally {
    await rm(tmp, { force: true });
    await rm(cfgFile, { force: true });
  }
  await writeFile(stampPath, `${JSON.stringify({ hash, builtAt: new Date().toISOString() }, null, 2)}\n`);
  log(`test disk ${name}: wrote ${diskOut} (${((await stat(diskOut)).size / MiB).toFixed(0)} MiB)`);
  return result;
}

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  [k: string]: unknown;
}

async function writeBlob(ociDir: string, data: string | Buffer, mediaType: string, extra: Record<string, unknown> = {}): Promise<Descriptor> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const hex = sha256(bytes);
  await writeFile(join(ociDir, 'blobs', 'sha256', hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length, ...extra };
}

// Passes bytes through while hashing them and counting.
function hashing(): { stream: Transform; digest: () => string; size: () => number } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, digest: () => `sha256:${hash.digest('hex')}`, size: () => size };
}

/**
 * Writes an OCI image layout of `disk` in containerDisk shape into `outDir` (replacing
 * what is there) and returns outDir: one gzip'd tar layer holding `disk/<file>`, a
 * linux/amd64 config, the manifest tagged `tag` (default latest). With `platformIndex`
 * the tag names an image index listing the manifest for linux/amd64 (push it with
 * `skopeo copy --all`), the shape multi-arch images have.
 */
export async function buildContainerDiskLayout(options: { name: string; disk: string; outDir: string; tag?: string; platformIndex?: boolean }): Promise<string> {
  const { disk, outDir } = options;
  const tag = options.tag ?? 'latest';
  await rm(outDir, { recursive: true, force: true });
  const blobs = join(outDir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });

  const size = (await stat(disk)).size;
  const file = basename(disk);
  const entries: UstarEntry[] = [{ type: 'dir', path: 'disk', mode: 0o555 }, { type: 'file', path: `disk/${file}`, size, mode: 0o444 }];
  const raw = hashing();
  const gz = hashing();
  const tmp = join(blobs, `.layer-${randomBytes(3).toString('hex')}`);
  await pipeline(Readable.from(ustarStream(entries, () => createReadStream(disk))), raw.stream, createGzip(), gz.stream, createWriteStream(tmp));
  const layer: Descriptor = { mediaType: OCI_LAYER_GZIP, digest: gz.digest(), size: gz.size() };
  await rename(tmp, join(blobs, layer.digest.slice('sha256:'.length)));

  const config = await writeBlob(
    outDir,
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { 'pxevirt.test/disk': options.name } }, rootfs: { type: 'layers', diff_ids: [raw.digest()] }, history: [{ created_by: 'pxevirt scripts/guest/disk-image.ts' }] }),
    OCI_CONFIG,
  );
  const manifest = await writeBlob(outDir, JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] }), OCI_MANIFEST);
  const platform = { architecture: 'amd64', os: 'linux' };
  const top = options.platformIndex
    ? await writeBlob(outDir, JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...manifest, platform }] }), OCI_INDEX)
    : manifest;
  const ref = { ...top, annotations: { 'org.opencontainers.image.ref.name': tag } };
  await writeFile(join(outDir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [ref] }));
  await writeFile(join(outDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return outDir;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [name, ociDir] = process.argv.slice(2);
  if (name === undefined) {
    process.stderr.write('usage: node --import tsx scripts/guest/disk-image.ts NAME [OCIDIR]\n');
    process.exit(2);
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  buildTestDisk({ name, log })
    .then(async (disk) => (ociDir === undefined ? disk : { ...disk, ociDir: await buildContainerDiskLayout({ name, disk: disk.path, outDir: resolve(ociDir) }) }))
    .then(
      (out) => process.stdout.write(`${JSON.stringify(out)}\n`),
      (err: unknown) => {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
}
