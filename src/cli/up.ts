// `pxevirt up`: the daemon in the foreground until SIGINT or SIGTERM.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type LogLevel } from '../lib/logger.ts';
import { parseRegistryMirrors, startDaemon } from '../daemon/daemon.ts';

/** The data dir when none is given: /var/lib/pxevirt for root, else ~/.local/share/pxevirt. */
export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/pxevirt' : join(homedir(), '.local', 'share', 'pxevirt');
}

export interface UpOptions {
  dataDir?: string;
  listen?: string;
  logLevel?: LogLevel;
  /** `REGISTRY=URL`, repeatable (`docker.io=http://127.0.0.1:5000`). */
  registryMirrors?: string[];
  nodeName?: string;
  /** false: serve the API only (no controllers, no guests). */
  controllers?: boolean;
  netnsPrefix?: string;
}

/** Runs the daemon; prints `export KUBECONFIG=…` on stdout once listening; logs JSON on stderr. */
export async function up(options: UpOptions): Promise<void> {
  const log = createLogger({ level: options.logLevel ?? 'info', name: 'pxevirt' });
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const daemon = await startDaemon({
    dataDir: options.dataDir ?? defaultDataDir(),
    listen: options.listen ?? '127.0.0.1:6443',
    log,
    version,
    registryMirrors: parseRegistryMirrors(options.registryMirrors ?? []),
    ...(options.nodeName ? { nodeName: options.nodeName } : {}),
    ...(options.controllers === false ? { controllers: false } : {}),
    ...(options.netnsPrefix ? { netnsPrefix: options.netnsPrefix } : {}),
  });
  process.stdout.write(`export KUBECONFIG=${daemon.kubeconfigPath}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'shutting down');
      daemon.close().then(resolve, (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'close failed');
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info({}, 'stopped');
  log.flush();
}
