// Files served by TFTP and HTTP: confined to the root (no "..", no absolute paths, no final
// symlink, no directory link leading out), regular files only (no FIFO, device or socket: opened
// non-blocking and checked with fstat on the open descriptor), plus the virtual `ipxe/`
// directory backed by the iPXE binaries of the node's administrator.
import { constants } from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { basename, dirname, sep } from 'node:path';
import { ARM64_FILES, SIGNED_FILES } from './grub-config.ts';
import { isHeld } from './held-dir.ts';

/** Read-only, never a controlling terminal, never blocking on a FIFO/device at open. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK;

/** Why a path was refused or not found; `code` maps to TFTP error codes and HTTP statuses. */
export class FileRefusedError extends Error {
  readonly requested: string;
  readonly code: 'not-found' | 'denied';
  constructor(requested: string, code: 'not-found' | 'denied', reason: string) {
    super(`${JSON.stringify(requested)}: ${reason}`);
    this.name = 'FileRefusedError';
    this.requested = requested;
    this.code = code;
  }
}

export interface OpenedFile {
  handle: FileHandle;
  size: number;
  /** The real path opened, for logs. */
  path: string;
}

export interface FileRoots {
  root: string;
  ipxeDir: string;
  /** The virtual `signed/` directory: name → the node's file (default SIGNED_FILES, Debian's shim and GRUB). */
  signed?: Readonly<Record<string, string>>;
  /** The virtual `arm64/` directory: name → the node's file (default ARM64_FILES, the arm64 network GRUB). */
  arm64?: Readonly<Record<string, string>>;
}

/**
 * Checks a requested name and returns [base directory, relative path, whether the base is
 * the iPXE directory]; throws FileRefusedError.
 */
export function confine(roots: FileRoots, requested: string): [string, string, boolean] {
  if (requested.includes('\0') || requested.includes('\\')) throw new FileRefusedError(requested, 'denied', 'expected a plain relative path, found a NUL or backslash');
  if (requested.startsWith('/')) throw new FileRefusedError(requested, 'denied', 'expected a path relative to the root, found an absolute path');
  const parts = requested.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new FileRefusedError(requested, 'denied', 'expected a path inside the root, found ".."');
  if (parts.length === 0) throw new FileRefusedError(requested, 'not-found', 'expected a file name, found an empty path');
  if (parts[0] === 'ipxe' && parts.length === 2) return [roots.ipxeDir, parts[1] as string, true];
  // The signed chain (shim, GRUB) is the node's own files, like the iPXE binaries.
  const nodeDir = parts.length !== 2 ? undefined : parts[0] === 'signed' ? (roots.signed ?? SIGNED_FILES) : parts[0] === 'arm64' ? (roots.arm64 ?? ARM64_FILES) : undefined;
  const nodeFile = nodeDir !== undefined && Object.hasOwn(nodeDir, parts[1] as string) ? nodeDir[parts[1] as string] : undefined;
  if (nodeFile !== undefined) return [dirname(nodeFile), basename(nodeFile), true];
  return [roots.root, parts.join('/'), false];
}

/** Opens a requested file for reading, refusing anything that resolves outside its base. */
export async function openConfined(roots: FileRoots, requested: string): Promise<OpenedFile> {
  const [base, rel, inIpxeDir] = confine(roots, requested);
  // A held root (/proc/self/fd/N, after `pxe serve` dropped root) is opened through its
  // descriptor, and its real path is only compared with: walking it from / may be closed to us.
  let realBase: string;
  let openBase: string;
  try {
    realBase = isHeld(base) ? await readlink(base) : await realpath(base);
    openBase = isHeld(base) ? base : realBase;
  } catch (err) {
    throw new FileRefusedError(requested, 'not-found', `no such file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // The iPXE directory is the administrator's (a daemon setting; Debian links ipxe.efi to
  // /boot/ipxe.efi) and names there are one plain component, so its links are followed. In the
  // root a final link is never followed (O_NOFOLLOW), and where the descriptor really points is
  // read back from /proc (no window between a check and the open).
  const flags = OPEN_FLAGS | (inIpxeDir ? 0 : constants.O_NOFOLLOW);
  const handle = await open(`${openBase}/${rel}`, flags).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ELOOP') throw new FileRefusedError(requested, 'denied', 'expected a regular file, found a symbolic link');
    throw new FileRefusedError(requested, err.code === 'EACCES' ? 'denied' : 'not-found', `cannot open (${err.code ?? 'error'})`);
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      const kind = stat.isDirectory() ? 'a directory' : stat.isFIFO() ? 'a FIFO' : stat.isSocket() ? 'a socket' : 'a device';
      throw new FileRefusedError(requested, 'not-found', `expected a regular file, found ${kind}`);
    }
    const real = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!inIpxeDir && !real.startsWith(realBase + sep)) {
      throw new FileRefusedError(requested, 'denied', 'expected a file inside the root, found a link leading out of it');
    }
    return { handle, size: stat.size, path: real };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
