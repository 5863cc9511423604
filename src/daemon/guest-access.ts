// The API's GuestAccess from the local QEMU runtime: socket paths from the run dir, and
// screenshots through QMP `screendump` (PNG) to a temp file in the run dir.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GuestRefusedError, type GuestAccess } from '../api/guest-access.ts';
import { GuestNotRunningError, GuestStateError, type LocalRuntime } from '../runtime/local-runtime.ts';

/** GuestAccess over the local runtime. */
export function localGuestAccess(runtime: Pick<LocalRuntime, 'paths' | 'execute' | 'act'>): GuestAccess {
  return {
    sockets(uid) {
      const p = runtime.paths(uid);
      return { serialSocket: p.serialSocket, vncSocket: p.vncSocket, serialLog: p.serialLog };
    },
    async act(uid, action) {
      try {
        await runtime.act(uid, action);
      } catch (err) {
        if (err instanceof GuestStateError) throw new GuestRefusedError(err.reason);
        if (err instanceof GuestNotRunningError) throw new GuestRefusedError(action === 'unpause' ? 'VMI is not running' : 'VM is not running');
        throw err;
      }
    },
    async screenshot(uid) {
      const file = join(runtime.paths(uid).runDir, `screendump-${randomBytes(6).toString('hex')}.png`);
      try {
        // QEMU writes the file itself (it runs as the same user, in the run dir it owns).
        await runtime.execute(uid, 'screendump', { filename: file, format: 'png' });
        return await readFile(file);
      } finally {
        await rm(file, { force: true });
      }
    },
  };
}
