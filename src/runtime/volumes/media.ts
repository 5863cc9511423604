// A BMC's virtual CD on the node: InsertMedia downloads the image (http/https only, bounded in
// size and by the filesystem's reserve, through the DataVolume importer's fetch) to
// `<media-root>/<vm-uid>/cd.iso`, checks it is an ISO 9660 image, and moves it into place at
// once (a running QEMU keeps the file it opened); EjectMedia removes it. The path comes from
// the VM's uid alone (resources/virtual-media.ts), so no URL or annotation names a file.
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isSafeUid, mediaFile, mediaUrlProblem } from '../../resources/virtual-media.ts';
import { fetchToFile, ImportSourceError } from './http-source.ts';

const GiB = 1024 ** 3;

/** Bounds of one download: the most bytes an image may have, and what the filesystem keeps free. */
export const MEDIA_LIMITS = { maxBytes: 8 * GiB, reserveBytes: 1 * GiB, timeoutMs: 30 * 60_000 } as const;

/** The image is not something a virtual CD can hold (not an ISO 9660 image); names the URL. */
export class MediaFormatError extends Error {
  constructor(
    readonly url: string,
    readonly found: string,
  ) {
    super(`virtual media ${url}: expected an ISO 9660 image (CD001 at byte 32769), found ${found}`);
    this.name = 'MediaFormatError';
  }
}

export { ImportSourceError };

export interface FetchMediaOptions {
  signal?: AbortSignal;
  maxBytes?: number;
  reserveBytes?: number;
  /** Free bytes of the filesystem holding a path (injectable for tests). */
  freeBytes?: (dir: string) => Promise<number>;
  onBytes?: (bytes: number, total: number | undefined) => void;
}

/** Whether a file starts like ISO 9660: the primary volume descriptor's "CD001" at 32769. */
async function isoSignature(path: string): Promise<string> {
  const f = await open(path, 'r');
  try {
    const buf = Buffer.alloc(5);
    const { bytesRead } = await f.read(buf, 0, 5, 32769);
    return bytesRead === 5 ? buf.toString('latin1') : `a file of ${(await f.stat()).size} bytes`;
  } finally {
    await f.close();
  }
}

/** Downloads a VM's virtual CD image into place; resolves with its path and size. */
export async function fetchMedia(mediaRoot: string, vmUid: string, url: string, o: FetchMediaOptions = {}): Promise<{ path: string; bytes: number }> {
  const problem = mediaUrlProblem(url);
  if (problem) throw new ImportSourceError(url, `virtual media: ${problem}`);
  const to = mediaFile(mediaRoot, vmUid);
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  const part = `${to}.part`;
  const deadline = AbortSignal.timeout(MEDIA_LIMITS.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, deadline]) : deadline;
  try {
    const { bytes } = await fetchToFile({ url }, part, {
      signal,
      maxBytes: o.maxBytes ?? MEDIA_LIMITS.maxBytes,
      reserveBytes: o.reserveBytes ?? MEDIA_LIMITS.reserveBytes,
      ...(o.freeBytes ? { freeBytes: o.freeBytes } : {}),
      ...(o.onBytes ? { onBytes: o.onBytes } : {}),
    });
    const magic = await isoSignature(part);
    if (magic !== 'CD001') throw new MediaFormatError(url, JSON.stringify(magic));
    await rename(part, to);
    return { path: to, bytes };
  } catch (err) {
    if (deadline.aborted && !(err instanceof ImportSourceError)) throw new ImportSourceError(url, `virtual media: no complete download within ${MEDIA_LIMITS.timeoutMs} ms`, { cause: err });
    throw err;
  } finally {
    await rm(part, { force: true });
  }
}

/** Removes a VM's virtual CD image (nothing to do when there is none). */
export async function removeMedia(mediaRoot: string, vmUid: string): Promise<void> {
  await rm(mediaFile(mediaRoot, vmUid), { force: true });
}

/** The file of a VM's inserted virtual CD, or an error saying it is not on this node. */
export async function openMedia(mediaRoot: string, vmUid: string): Promise<string> {
  const path = mediaFile(mediaRoot, vmUid);
  const s = await stat(path).catch(() => undefined);
  if (!s?.isFile()) throw new Error(`virtual media of VM ${vmUid}: expected the inserted image at ${path}, found none (insert it again)`);
  return path;
}

/**
 * Removes the media of VMs that are gone (their uid not in `keep`); resolves with the uids removed.
 * `partials`: also the unfinished downloads of the kept ones (at daemon start: the daemon that ran them is gone).
 */
export async function sweepMedia(mediaRoot: string, keep: ReadonlySet<string>, o: { partials?: boolean } = {}): Promise<string[]> {
  const entries = await readdir(mediaRoot, { withFileTypes: true }).catch(() => []);
  const uids = entries.filter((e) => e.isDirectory() && isSafeUid(e.name)).map((e) => e.name);
  const gone = uids.filter((uid) => !keep.has(uid));
  for (const uid of gone) await rm(join(mediaRoot, uid), { recursive: true, force: true });
  if (o.partials) for (const uid of uids.filter((u) => keep.has(u))) await rm(`${mediaFile(mediaRoot, uid)}.part`, { force: true });
  return gone;
}
