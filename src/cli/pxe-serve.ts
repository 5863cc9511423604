// `pxevirt pxe serve --config FILE`: runs the PXE server in the foreground until a signal.
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createLogger, type LogLevel } from '../lib/logger.ts';
import { loadPxeConfig } from '../pxe/config-file.ts';
import { startPxeServer } from '../pxe/serve.ts';
import { RotatingFile } from '../pxe/log-file.ts';
import { holdDir, shownPath } from '../pxe/held-dir.ts';
import { checkAfterDrop, dropTo, handOver, handOverLog, PrivilegeDropError, serveUser } from './privilege-drop.ts';

export interface PxeServeArgs {
  config: string;
  stateDir?: string;
  logLevel?: LogLevel;
  /** Unix socket for /status and /metrics. */
  statusSocket?: string;
  /** Log to this file (rotated at logMaxBytes to FILE.1, keeping the newest) instead of stdout. */
  logFile?: string;
  logMaxBytes?: number;
  /** Become this user once every port is bound (`root`: stay; absent: pxevirt-pxe when root and it exists). */
  user?: string;
}

/** Default state directory: per interface, under /var/lib/pxevirt for root, else ~/.local/share/pxevirt. */
export function defaultStateDir(interfaceName: string): string {
  const base = process.getuid?.() === 0 ? '/var/lib/pxevirt' : `${process.env.HOME ?? '.'}/.local/share/pxevirt`;
  return `${base}/pxe/${interfaceName}`;
}

/** Runs the server; resolves when it has shut down after SIGINT/SIGTERM. */
export async function pxeServe(args: PxeServeArgs): Promise<void> {
  const loaded = await loadPxeConfig(args.config);
  const stateDir = args.stateDir ?? defaultStateDir(loaded.interface);
  await mkdir(stateDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  const user = await serveUser(args.user, asRoot);
  if (user && !asRoot) throw new PrivilegeDropError(user.name, '(process)', 'to be started as root to become another user', `uid ${process.getuid?.()}`);
  // With a user to become, the root, the state dir and the log's directory are held open and
  // reached through their descriptors from here on (src/pxe/held-dir.ts).
  const held = user ? holdPaths(loaded.root, stateDir, args.logFile) : { root: loaded.root, stateDir, logFile: args.logFile };
  const spec = { ...loaded, root: held.root };
  const file = held.logFile === undefined ? undefined : new RotatingFile(held.logFile, args.logMaxBytes ?? 16 << 20);
  const log = file ? createLogger({ level: args.logLevel ?? 'info', stream: file }) : createLogger({ level: args.logLevel ?? 'info', fd: 1, buffered: true });
  const afterBind = user
    ? async () => {
        await handOver(held.stateDir, user);
        if (held.logFile !== undefined) await handOverLog(held.logFile, user);
        dropTo(user);
        await checkAfterDrop(user, { root: held.root, stateDir: held.stateDir, ...(held.logFile !== undefined ? { logFile: held.logFile } : {}) });
        log.info({ user: user.name, uid: user.uid, gid: user.gid, root: shownPath(held.root), stateDir: shownPath(held.stateDir) }, 'dropped root');
      }
    : undefined;
  const server = await startPxeServer({ spec, stateDir: held.stateDir, log, ...(args.statusSocket ? { statusSocket: args.statusSocket } : {}), ...(afterBind ? { afterBind } : {}) });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'shutting down');
      process.off('SIGINT', stop).off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
  });
  await server.close();
  log.info({}, 'stopped');
  log.flush();
  file?.close();
}

/** Holds the root, the state dir and the log's directory open; throws naming the one that is not a directory. */
function holdPaths(root: string, stateDir: string, logFile: string | undefined): { root: string; stateDir: string; logFile: string | undefined } {
  const hold = (what: string, dir: string) => {
    try {
      return holdDir(dir);
    } catch (err) {
      throw new Error(`expected ${what} ${dir} to be a directory, found ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
  };
  return { root: hold('root', root), stateDir: hold('state dir', stateDir), logFile: logFile === undefined ? undefined : join(hold('log directory', dirname(logFile)), basename(logFile)) };
}
