// Fills a claim's disk from a DataVolume source: http (raw or qcow2, plain, gzip or xz), a
// containerDisk image through the registry cache, or another claim (clone). Every step works in
// the claim's directory on temporary files and the disk is replaced only at the end, so an
// aborted or failed import leaves the claim as it was. The image must fit the claim (CDI's
// rule); the claim keeps its requested size (a smaller image is grown to it).
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ClaimDisk } from './claims.ts';
import { replaceClaimDisk } from './claims.ts';
import { fetchToFile, ImportSourceError, type HttpSource } from './http-source.ts';
import { compressionOf, diskImageFormat, SNIFF_BYTES, type Compression } from './image-sniff.ts';
import { imageInfo, refuseExternalFiles, UnsupportedDiskImageError } from './overlay.ts';
import { runTool } from './run-tool.ts';

export { ImportSourceError, type HttpSource } from './http-source.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Caps on one import. */
export interface ImportLimits {
  /** The most bytes a download may have. */
  maxDownloadBytes: number;
  /** Free bytes the volumes' filesystem must keep. */
  reserveBytes: number;
}

export const DEFAULT_IMPORT_LIMITS: Readonly<ImportLimits> = { maxDownloadBytes: 64 * GiB, reserveBytes: 1 * GiB };

export interface ImportOptions {
  signal?: AbortSignal;
  /** Share done, 0–100. */
  onProgress?: (percent: number) => void;
  limits?: Partial<ImportLimits>;
  freeBytes?: (dir: string) => Promise<number>;
}

async function head(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A stream cut off (with ImportSourceError) past `limit` bytes. */
function capped(source: string, limit: number, what: string): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limit) return done(new ImportSourceError(source, `${what}: expected at most ${limit} bytes, found more`));
      done(null, chunk);
    },
  });
}

/** Decompresses `from` into `to`, at most `limit` bytes (gzip in-process, xz through `xz -dc`). */
async function decompress(compression: Exclude<Compression, 'none'>, from: string, to: string, limit: number, source: string, signal?: AbortSignal): Promise<void> {
  const opts = signal ? { signal } : {};
  const what = 'the decompressed image is larger than the claim';
  try {
    if (compression === 'gzip') {
      await pipeline(createReadStream(from), createGunzip(), capped(source, limit, what), createWriteStream(to, { mode: 0o600 }), opts);
      return;
    }
    const xz = spawn('xz', ['-dc', '--', from], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stderr = '';
    xz.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve, reject) => xz.once('error', reject).once('close', resolve));
    try {
      await pipeline(xz.stdout, capped(source, limit, what), createWriteStream(to, { mode: 0o600 }), opts);
    } catch (err) {
      xz.kill('SIGKILL');
      throw err;
    }
    const code = await exited;
    if (code !== 0) throw new ImportSourceError(source, `the xz stream is damaged: xz exited ${String(code)}: ${stderr.trim()}`);
  } catch (err) {
    if (err instanceof ImportSourceError || signal?.aborted) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'xz is not installed (Debian package xz-utils)' : `the ${compression} stream is damaged: ${e.message}`;
    throw new ImportSourceError(source, why, { cause: err });
  }
}

/** The image's format and virtual size, refusing what is not a plain raw or qcow2 disk. */
async function inspect(path: string, source: string, signal?: AbortSignal): Promise<{ format: 'raw' | 'qcow2'; virtualSize: number }> {
  const size = (await stat(path)).size;
  const sniffed = diskImageFormat(await head(path), size);
  if ('refusal' in sniffed) throw new ImportSourceError(source, `not a disk image: ${sniffed.refusal}`);
  if (sniffed.format === 'raw') return { format: 'raw', virtualSize: size };
  try {
    await refuseExternalFiles(path);
    const info = await imageInfo(path, signal ? { signal } : {});
    if (info.format !== 'qcow2' || info.backingFile !== undefined || info.dataFile !== undefined) throw new UnsupportedDiskImageError(path, `expected a qcow2 without backing or data file, found format ${info.format}`);
    return { format: 'qcow2', virtualSize: info.virtualSize };
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ImportSourceError(source, `not a usable qcow2 image: ${(err as Error).message}`, { cause: err });
  }
}

/** CDI's words when an image does not fit its claim. */
export function tooLargeMessage(virtualSize: number, available: number): string {
  return `Virtual image size ${virtualSize} is larger than the reported available storage ${available}. A larger PVC is required.`;
}

/** Writes the image at `from` (raw or qcow2) into the claim's disk, grown to the claim's size. */
async function convertInto(from: string, image: { format: 'raw' | 'qcow2'; virtualSize: number }, disk: ClaimDisk, source: string, options: { signal?: AbortSignal; consume: boolean }): Promise<void> {
  if (image.virtualSize > disk.sizeBytes) throw new ImportSourceError(source, tooLargeMessage(image.virtualSize, disk.sizeBytes));
  const signal = options.signal ? { signal: options.signal } : {};
  const out = join(disk.dir, `import.${disk.format}`);
  await rm(out, { force: true });
  try {
    if (image.format === 'raw' && disk.format === 'raw' && options.consume) await rename(from, out);
    else await runTool('qemu-img', ['convert', '-q', '-f', image.format, '-O', disk.format, ...(disk.format === 'raw' ? ['-S', '4k'] : []), from, out], signal);
    if (disk.format === 'raw') await truncate(out, disk.sizeBytes);
    else await runTool('qemu-img', ['resize', '-q', '-f', 'qcow2', out, String(disk.sizeBytes)], signal);
    await replaceClaimDisk(disk, out);
  } finally {
    await rm(out, { force: true });
  }
}

/** Imports an http source into the claim (see the file comment); progress follows the download. */
export async function importHttp(source: HttpSource, disk: ClaimDisk, o: ImportOptions = {}): Promise<void> {
  const limits = { ...DEFAULT_IMPORT_LIMITS, ...o.limits };
  const download = join(disk.dir, 'download.part');
  const unpacked = join(disk.dir, 'image.part');
  const signal = o.signal ? { signal: o.signal } : {};
  try {
    await fetchToFile(source, download, {
      ...signal,
      maxBytes: limits.maxDownloadBytes,
      reserveBytes: limits.reserveBytes,
      ...(o.freeBytes ? { freeBytes: o.freeBytes } : {}),
      onBytes: (bytes, total) => {
        if (total) o.onProgress?.(Math.min(99.99, (bytes / total) * 100));
      },
    });
    const compression = compressionOf(await head(download));
    let image = download;
    if (compression !== 'none') {
      // An image larger than the claim fails anyway: stop decompressing there (plus qcow2 metadata room).
      await decompress(compression, download, unpacked, disk.sizeBytes + Math.ceil(disk.sizeBytes / 8) + 64 * MiB, source.url, o.signal);
      await rm(download, { force: true });
      image = unpacked;
    }
    await convertInto(image, await inspect(image, source.url, o.signal), disk, source.url, { ...signal, consume: true });
    o.onProgress?.(100);
  } finally {
    await rm(download, { force: true });
    await rm(unpacked, { force: true });
  }
}

/**
 * Copies a disk file into the claim: a cached containerDisk (inspected like a download), or
 * another claim's disk (`known`: its format and size are on record; its bytes are the guest's).
 */
export async function importFile(path: string, source: string, disk: ClaimDisk, o: ImportOptions & { known?: { format: 'raw' | 'qcow2'; virtualSize: number } } = {}): Promise<void> {
  const signal = o.signal ? { signal: o.signal } : {};
  await convertInto(path, o.known ?? (await inspect(path, source, o.signal)), disk, source, { ...signal, consume: false });
  o.onProgress?.(100);
}
