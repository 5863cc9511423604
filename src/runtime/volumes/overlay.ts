// Per-VMI copy-on-write overlays: the guest writes to `<runDir>/<volume>.qcow2`, whose
// backing file is the cached containerDisk, so the cache is never written.
import { open, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { QCOW2_HEADER_BYTES, qcow2Refusal } from './qcow2-header.ts';
import { runTool } from './run-tool.ts';

export type DiskFormat = 'raw' | 'qcow2';

/** Raised when a backing file is not a plain raw or qcow2 image (KubeVirt's containerDisk rule). */
export class UnsupportedDiskImageError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`disk image ${path}: ${reason}`);
    this.name = 'UnsupportedDiskImageError';
  }
}

export interface ImageInfo {
  format: string;
  virtualSize: number;
  backingFile?: string;
  /** A qcow2's external data file (`data-file=`), from the format-specific data. */
  dataFile?: string;
}

/** Throws UnsupportedDiskImageError when the file's first bytes are a qcow2 that names a host file. */
export async function refuseExternalFiles(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(QCOW2_HEADER_BYTES);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const why = qcow2Refusal(head.subarray(0, bytesRead));
    if (why !== undefined) throw new UnsupportedDiskImageError(path, why);
  } finally {
    await fh.close();
  }
}

/** `qemu-img info --output=json` of a file. */
export async function imageInfo(path: string, options: { signal?: AbortSignal } = {}): Promise<ImageInfo> {
  const out = await runTool('qemu-img', ['info', '--output=json', path], options);
  const json = JSON.parse(out) as {
    format?: string;
    'virtual-size'?: number;
    'backing-filename'?: string;
    'full-backing-filename'?: string;
    'format-specific'?: { data?: { 'data-file'?: string } };
  };
  const info: ImageInfo = { format: json.format ?? '', virtualSize: json['virtual-size'] ?? 0 };
  const backing = json['full-backing-filename'] ?? json['backing-filename'];
  if (backing !== undefined) info.backingFile = backing;
  const dataFile = json['format-specific']?.data?.['data-file'];
  if (dataFile !== undefined) info.dataFile = dataFile;
  return info;
}

/** Creates (replacing) a qcow2 overlay at `overlay` over `backing`, whose format is detected. */
export async function createOverlay(backing: string, overlay: string, options: { signal?: AbortSignal } = {}): Promise<{ path: string; backingFormat: DiskFormat }> {
  const abs = resolve(backing);
  // Before qemu-img: opening a qcow2 with a data file opens that file.
  await refuseExternalFiles(abs);
  const info = await backingInfo(abs, options);
  if (info.dataFile !== undefined) throw new UnsupportedDiskImageError(abs, `expected a qcow2 without an external data file, found data-file=${info.dataFile}`);
  if (info.format !== 'raw' && info.format !== 'qcow2') throw new UnsupportedDiskImageError(abs, `expected a raw or qcow2 image, found ${JSON.stringify(info.format)}`);
  if (info.backingFile !== undefined) throw new UnsupportedDiskImageError(abs, `expected a qcow2 without a backing file, found one backed by ${info.backingFile}`);
  await rm(overlay, { force: true });
  await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', info.format, '-b', abs, overlay], options);
  return { path: overlay, backingFormat: info.format };
}

/** Backing images whose `qemu-img info` was read, by path and the file's identity (a changed file reads again). */
const backingInfos = new Map<string, { identity: string; info: ImageInfo }>();
const BACKING_INFOS_MAX = 256;

/**
 * `imageInfo` of a backing image, asked of qemu-img once per file version: every VMI start on
 * a cached containerDisk used to spawn `qemu-img info` on the same unchanged file (15–250 ms
 * depending on load; docs/benchmarks.md). Bounded; the oldest entry goes first.
 */
async function backingInfo(path: string, options: { signal?: AbortSignal }): Promise<ImageInfo> {
  const st = await stat(path);
  const identity = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const known = backingInfos.get(path);
  if (known?.identity === identity) return known.info;
  const info = await imageInfo(path, options);
  backingInfos.delete(path);
  backingInfos.set(path, { identity, info });
  while (backingInfos.size > BACKING_INFOS_MAX) backingInfos.delete(backingInfos.keys().next().value as string);
  return info;
}
