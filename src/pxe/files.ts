// Files served by TFTP and HTTP: confined to the root (no "..", no absolute paths, no
// symlink leading out), plus the virtual `ipxe/` directory backed by the iPXE binaries.
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { sep } from 'node:path';

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
  return [roots.root, parts.join('/'), false];
}

/** Opens a requested file for reading, refusing anything that resolves outside its base. */
export async function openConfined(roots: FileRoots, requested: string): Promise<OpenedFile> {
  const [base, rel, inIpxeDir] = confine(roots, requested);
  let real: string;
  let realBase: string;
  try {
    realBase = await realpath(base);
    real = await realpath(`${base}/${rel}`);
  } catch (err) {
    throw new FileRefusedError(requested, 'not-found', `no such file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // The iPXE directory is the administrator's (Debian links ipxe.efi to /boot/ipxe.efi) and
  // names there are one plain component, so its links are followed; the root's are not.
  if (!inIpxeDir && !real.startsWith(realBase + sep)) {
    throw new FileRefusedError(requested, 'denied', 'expected a file inside the root, found a link leading out of it');
  }
  const handle = await open(real, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new FileRefusedError(requested, err.code === 'EACCES' ? 'denied' : 'not-found', `cannot open (${err.code ?? 'error'})`);
  });
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new FileRefusedError(requested, 'not-found', 'expected a regular file, found a directory or device');
  }
  return { handle, size: stat.size, path: real };
}
