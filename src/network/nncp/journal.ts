// The NNCP checkpoint on disk: written (and fsynced) before an apply changes anything, removed
// once the apply succeeded or was rolled back. One found at start means the daemon stopped in
// the middle of an apply: the node is rolled back to it before anything else runs.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Checkpoint } from './types.ts';

/** What an unfinished apply left: the policy, its generation and the node's state before it. */
export interface PendingApply {
  policy: string;
  generation: number;
  startedAt: string;
  checkpoint: Checkpoint;
}

export interface CheckpointJournal {
  save(pending: PendingApply): Promise<void>;
  clear(): Promise<void>;
  /** The unfinished apply, or undefined (none, or a file that cannot be read as one). */
  load(): Promise<PendingApply | undefined>;
}

const MAX_BYTES = 4 * 1024 * 1024;

/** The journal in one file (0600, written through a temp file, fsynced with its directory). */
export function fileJournal(path: string): CheckpointJournal {
  const syncDir = async (): Promise<void> => {
    const dir = await open(dirname(path), 'r');
    await dir.sync().finally(() => dir.close());
  };
  return {
    async save(pending) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const tmp = `${path}.tmp`;
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.chmod(0o600);
        await fh.writeFile(JSON.stringify(pending));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      await syncDir();
    },
    async clear() {
      await rm(path, { force: true });
      await syncDir().catch(() => undefined);
    },
    async load() {
      try {
        const text = await readFile(path, 'utf8');
        if (text.length > MAX_BYTES) return undefined;
        const p = JSON.parse(text) as Partial<PendingApply>;
        if (typeof p.policy !== 'string' || typeof p.generation !== 'number' || typeof p.startedAt !== 'string' || typeof p.checkpoint !== 'object' || p.checkpoint === null || !Array.isArray(p.checkpoint.links)) return undefined;
        return p as PendingApply;
      } catch {
        return undefined;
      }
    },
  };
}
