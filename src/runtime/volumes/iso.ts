// ISO 9660 images of a few small files (Joliet + Rock Ridge), built with xorriso from a staging
// dir beside the image: the cloud-init `cidata` ISO and the configMap/secret disks use it.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runTool } from './run-tool.ts';

/** A file name on an ISO is one path component: not empty, `.` or `..`, no `/` and no NUL. */
export class IsoFileNameError extends Error {
  constructor(readonly fileName: string) {
    super(`ISO file name: expected one path component (no '/', not '.' or '..'), found ${JSON.stringify(fileName)}`);
    this.name = 'IsoFileNameError';
  }
}

const safeName = (name: string): boolean => name !== '' && name !== '.' && name !== '..' && !/[/\0]/.test(name);

/** Writes (replacing) an ISO at `isoPath` with `files` in its root and volume id `label`; the image and staged files are 0600 (Secret values may be in them). */
export async function buildIso(files: ReadonlyArray<{ name: string; data: string | Uint8Array }>, label: string, isoPath: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  for (const f of files) if (!safeName(f.name)) throw new IsoFileNameError(f.name);
  const staging = join(dirname(isoPath), `.iso-${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true, mode: 0o700 });
  const partial = `${isoPath}.staging`;
  try {
    for (const f of files) await writeFile(join(staging, f.name), f.data, { mode: 0o600 });
    await rm(partial, { force: true });
    await runTool('xorriso', ['-as', 'mkisofs', '-quiet', '-output', partial, '-volid', label, '-joliet', '-rock', staging], options);
    await chmod(partial, 0o600);
    await rename(partial, isoPath);
    return isoPath;
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
}
