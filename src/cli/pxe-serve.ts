// `pxevirt pxe serve --config FILE`: runs the PXE server in the foreground until a signal.
import { mkdir } from 'node:fs/promises';
import { createLogger, type LogLevel } from '../lib/logger.ts';
import { loadPxeConfig } from '../pxe/config-file.ts';
import { startPxeServer } from '../pxe/serve.ts';
import { RotatingFile } from '../pxe/log-file.ts';
import { resolveRunAsUser } from '../runtime/run-as.ts';
import { checkAfterDrop, dropTo, handOver, handOverLog, PrivilegeDropError } from './privilege-drop.ts';

export interface PxeServeArgs {
  config: string;
  stateDir?: string;
  logLevel?: LogLevel;
  /** Unix socket for /status and /metrics. */
  statusSocket?: string;
  /** Log to this file (rotated at logMaxBytes to FILE.1, keeping the newest) instead of stdout. */
  logFile?: string;
  logMaxBytes?: number;
  /** Become this user once every port is bound (`root` or absent: stay). */
  user?: string;
}

/** Default state directory: per interface, under /var/lib/pxevirt for root, else ~/.local/share/pxevirt. */
export function defaultStateDir(interfaceName: string): string {
  const base = process.getuid?.() === 0 ? '/var/lib/pxevirt' : `${process.env.HOME ?? '.'}/.local/share/pxevirt`;
  return `${base}/pxe/${interfaceName}`;
}

/** Runs the server; resolves when it has shut down after SIGINT/SIGTERM. */
export async function pxeServe(args: PxeServeArgs): Promise<void> {
  const spec = await loadPxeConfig(args.config);
  const stateDir = args.stateDir ?? defaultStateDir(spec.interface);
  await mkdir(stateDir, { recursive: true });
  const user = args.user === undefined || args.user === 'root' ? undefined : await resolveRunAsUser(args.user, '--user');
  if (user && process.getuid?.() !== 0) throw new PrivilegeDropError(user.name, '(process)', 'to be started as root to become another user', `uid ${process.getuid?.()}`);
  const file = args.logFile === undefined ? undefined : new RotatingFile(args.logFile, args.logMaxBytes ?? 16 << 20);
  const log = file ? createLogger({ level: args.logLevel ?? 'info', stream: file }) : createLogger({ level: args.logLevel ?? 'info', fd: 1, buffered: true });
  const afterBind = user
    ? async () => {
        await handOver(stateDir, user);
        if (args.logFile !== undefined) await handOverLog(args.logFile, user);
        dropTo(user);
        await checkAfterDrop(user, { root: spec.root, stateDir, ...(args.logFile !== undefined ? { logFile: args.logFile } : {}) });
        log.info({ user: user.name, uid: user.uid, gid: user.gid }, 'dropped root');
      }
    : undefined;
  const server = await startPxeServer({ spec, stateDir, log, ...(args.statusSocket ? { statusSocket: args.statusSocket } : {}), ...(afterBind ? { afterBind } : {}) });
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
