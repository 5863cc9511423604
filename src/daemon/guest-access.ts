// The API's GuestAccess from the local QEMU runtime: socket paths from the run dir, and
// screenshots through QMP `screendump` (PNG) to a temp file in the guest's QEMU directory.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { GuestRefusedError, type GuestAccess } from '../api/guest-access.ts';
import { localGuestPorts } from './guest-ports.ts';
import { GuestNotRunningError, GuestStateError, type LocalRuntime } from '../runtime/local-runtime.ts';

/** GuestAccess over the local runtime. */
export function localGuestAccess(runtime: Pick<LocalRuntime, 'paths' | 'execute' | 'act' | 'qemuFile' | 'observe'>, options: { nodeNetns?: string } = {}): GuestAccess {
  return {
    ports: localGuestPorts(runtime, options),
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
      // QEMU writes the file itself, as its own user, in the one directory it may write.
      const file = runtime.qemuFile(uid, `screendump-${randomBytes(6).toString('hex')}.png`);
      try {
        await runtime.execute(uid, 'screendump', { filename: file.qemu, format: 'png' });
        return await readFile(file.host);
      } finally {
        await rm(file.host, { force: true });
      }
    },
  };
}
