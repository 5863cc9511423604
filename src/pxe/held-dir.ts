// Directories held open by descriptor, reached as /proc/self/fd/N: after `pxe serve` drops root
// it still reaches its root and state dir even when a directory above them is closed to its user
// (a PXEServer pod's run dir sits under the 0700 data dir). The kernel lets a process follow its
// own descriptors' links; only the held directory and what is below it need to be open to the
// user. Paths are never re-resolved from the top (realpath would walk the closed directories).
import { constants, openSync, readlinkSync } from 'node:fs';

const HELD = /^\/proc\/self\/fd\/(\d+)(?=\/|$)/;

/** Opens `dir` (close-on-exec, as libuv opens everything) and returns the path that reaches it through the descriptor, kept open for the process's life. */
export function holdDir(dir: string): string {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  return `/proc/self/fd/${fd}`;
}

/** Whether a path starts at a held directory. */
export function isHeld(path: string): boolean {
  return HELD.test(path);
}

/** The real path a held path stands for (for messages and containment checks); other paths unchanged. */
export function shownPath(path: string): string {
  const m = HELD.exec(path);
  if (!m) return path;
  try {
    return readlinkSync(m[0]) + path.slice(m[0].length);
  } catch {
    return path;
  }
}
