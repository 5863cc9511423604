// Per-VMI copy-on-write overlays: the guest writes to `<runDir>/<volume>.qcow2`, whose
// backing file is the cached containerDisk, so the cache is never written.
import { closeSync, ftruncateSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
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
  refuseExternalFilesNow(path);
}

// The overlay path is synchronous: a few tiny reads and writes, where each round trip through
// libuv's pool waits for the daemon to be scheduled again on a loaded machine (docs/benchmarks.md).
function refuseExternalFilesNow(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(QCOW2_HEADER_BYTES);
    const bytesRead = readSync(fd, head, 0, head.length, 0);
    const why = qcow2Refusal(head.subarray(0, bytesRead));
    if (why !== undefined) throw new UnsupportedDiskImageError(path, why);
  } finally {
    closeSync(fd);
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

/**
 * Creates (replacing) a qcow2 overlay at `overlay` over `backing`, whose format is detected.
 * qemu-img makes the first overlay over a file version; later ones are written from its bytes
 * (an empty overlay holds no identity of its own: the same backing file and format give the
 * same bytes), so a VMI start spawns no qemu-img (docs/benchmarks.md, create → Running).
 */
export async function createOverlay(backing: string, overlay: string, options: { signal?: AbortSignal } = {}): Promise<{ path: string; backingFormat: DiskFormat }> {
  const abs = resolve(backing);
  // Before qemu-img: opening a qcow2 with a data file opens that file.
  refuseExternalFilesNow(abs);
  const known = await backingInfo(abs, options);
  const { info } = known;
  if (info.dataFile !== undefined) throw new UnsupportedDiskImageError(abs, `expected a qcow2 without an external data file, found data-file=${info.dataFile}`);
  if (info.format !== 'raw' && info.format !== 'qcow2') throw new UnsupportedDiskImageError(abs, `expected a raw or qcow2 image, found ${JSON.stringify(info.format)}`);
  if (info.backingFile !== undefined) throw new UnsupportedDiskImageError(abs, `expected a qcow2 without a backing file, found one backed by ${info.backingFile}`);
  rmSync(overlay, { force: true });
  if (known.template) {
    writeTemplate(known.template, overlay);
  } else {
    await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', info.format, '-b', abs, overlay], options);
    known.template = await readTemplate(overlay);
  }
  return { path: overlay, backingFormat: info.format };
}

/** An empty overlay's bytes: its length and the 512-byte blocks that are not all zero. */
export interface OverlayTemplate {
  length: number;
  extents: { offset: number; bytes: Buffer }[];
}

const BLOCK = 512;
/** An empty overlay is a few clusters (~200 KiB for most sizes, a few hundred bytes not zero). */
const TEMPLATE_FILE_MAX = 4 << 20;
const TEMPLATE_BYTES_MAX = 64 << 10;

/** The template of a file qemu-img just made; undefined when it is larger than an empty overlay can be. */
export async function readTemplate(path: string): Promise<OverlayTemplate | undefined> {
  if ((await stat(path)).size > TEMPLATE_FILE_MAX) return undefined;
  const data = await readFile(path);
  const extents: OverlayTemplate['extents'] = [];
  let kept = 0;
  for (let at = 0; at < data.length; at += BLOCK) {
    const block = data.subarray(at, Math.min(at + BLOCK, data.length));
    if (block.every((b) => b === 0)) continue;
    const last = extents[extents.length - 1];
    if (last && last.offset + last.bytes.length === at) last.bytes = Buffer.concat([last.bytes, block]);
    else extents.push({ offset: at, bytes: Buffer.from(block) });
    kept += block.length;
    if (kept > TEMPLATE_BYTES_MAX) return undefined;
  }
  return { length: data.length, extents };
}

/** Writes a template's bytes to a new file (holes where it is zero), 0600. */
export function writeTemplate(template: OverlayTemplate, path: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    for (const e of template.extents) writeSync(fd, e.bytes, 0, e.bytes.length, e.offset);
    ftruncateSync(fd, template.length);
  } finally {
    closeSync(fd);
  }
}

/** Backing images whose `qemu-img info` was read, by path and the file's identity (a changed file reads again). */
const backingInfos = new Map<string, BackingInfo>();
const BACKING_INFOS_MAX = 256;

interface BackingInfo {
  identity: string;
  info: ImageInfo;
  /** The bytes of the overlay qemu-img made over this file version, once it has. */
  template?: OverlayTemplate | undefined;
}

/**
 * `imageInfo` of a backing image, asked of qemu-img once per file version: every VMI start on
 * a cached containerDisk used to spawn `qemu-img info` on the same unchanged file (15–250 ms
 * depending on load; docs/benchmarks.md). Bounded; the oldest entry goes first.
 */
async function backingInfo(path: string, options: { signal?: AbortSignal }): Promise<BackingInfo> {
  const st = statSync(path);
  const identity = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const known = backingInfos.get(path);
  if (known?.identity === identity) return known;
  const entry: BackingInfo = { identity, info: await imageInfo(path, options) };
  backingInfos.delete(path);
  backingInfos.set(path, entry);
  while (backingInfos.size > BACKING_INFOS_MAX) backingInfos.delete(backingInfos.keys().next().value as string);
  return entry;
}
