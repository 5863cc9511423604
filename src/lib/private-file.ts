// Files and directories for root alone whatever the process's umask (issue 13): the mode is
// set on the open descriptor / after mkdir, not left to the umask.
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, open, rename } from 'node:fs/promises';

/** Writes `data` to `path` as a 0600 file (atomically through `<path>.tmp` when `atomic`). */
export async function writePrivateFile(path: string, data: string | Uint8Array, options: { atomic?: boolean } = {}): Promise<void> {
  const target = options.atomic ? `${path}.tmp` : path;
  const fh = await open(target, 'w', 0o600);
  try {
    await fh.chmod(0o600); // the umask may have taken bits, or an older file had others
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
  if (options.atomic) await rename(target, path);
}

/** Creates `dir` (and missing parents) and sets its mode to `mode` (default 0700). */
export async function mkdirPrivate(dir: string, mode = 0o700): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  await chmod(dir, mode);
}

/**
 * writePrivateFile in one tick, for small files on a latency path (a guest start): each
 * round trip through libuv's pool waits for the process to be scheduled again on a loaded
 * machine, and a start writes several (docs/benchmarks.md, create → Running).
 */
export function writePrivateFileSync(path: string, data: string | Uint8Array, options: { atomic?: boolean } = {}): void {
  const target = options.atomic ? `${path}.tmp` : path;
  const fd = openSync(target, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeFileSync(fd, data);
  } finally {
    closeSync(fd);
  }
  if (options.atomic) renameSync(target, path);
}

/** mkdirPrivate in one tick (see writePrivateFileSync). */
export function mkdirPrivateSync(dir: string, mode = 0o700): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
}
