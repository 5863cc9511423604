// Files and directories for root alone whatever the process's umask (issue 13): the mode is
// set on the open descriptor / after mkdir, not left to the umask.
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
