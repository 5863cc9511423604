// `pxevirt up`: the daemon in the foreground until SIGINT or SIGTERM.
import { readFileSync } from 'node:fs';
import { createLogger } from '../lib/logger.ts';
import { startDaemon } from '../daemon/daemon.ts';
import { tuneDaemonHeap } from '../daemon/heap-tuning.ts';
import { defaultDataDir, resolveDaemonConfig } from '../daemon/config.ts';

export { defaultDataDir };

/**
 * `pxevirt up`'s flags, only those given on the command line, under commander's camelCase
 * names: `config` (the file), `registryMirror` (repeatable REGISTRY=URL), and any key of
 * CONFIG_KEYS (src/daemon/config.ts), checked the same way as in the file.
 */
export type UpFlags = Readonly<Record<string, unknown>>;

/** Runs the daemon; prints `export KUBECONFIG=…` on stdout once listening; logs JSON on stderr. */
export async function up(flags: UpFlags): Promise<void> {
  // Everything the daemon and its children (QEMU, pxe serve) create — database, run files,
  // logs, leases, downloads — is for root alone, whatever umask pxevirt was started with.
  process.umask(0o077);
  // The daemon's memory as users read it (RSS) stays near what it holds (heap-tuning.ts).
  tuneDaemonHeap();
  const { logLevel, configPath, ...settings } = await resolveDaemonConfig(flags, { cwd: process.cwd(), defaultDataDir: defaultDataDir() });
  const log = createLogger({ level: logLevel, name: 'pxevirt' });
  if (configPath !== undefined) log.info({ config: configPath }, 'config loaded');
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  // Every config key is a DaemonOptions field of the same name (see CONFIG_KEYS).
  // Signals are caught from here on, not only once the daemon listens: a SIGTERM during
  // start-up (or a second one during shutdown) must not kill the process half-way.
  let requested: NodeJS.Signals | undefined;
  let onStop: ((signal: NodeJS.Signals) => void) | undefined;
  const caught = (signal: NodeJS.Signals): void => {
    if (requested !== undefined) return;
    requested = signal;
    onStop?.(signal);
  };
  process.on('SIGINT', caught).on('SIGTERM', caught);
  const daemon = await startDaemon({ ...settings, log, version });
  process.stdout.write(`export KUBECONFIG=${daemon.kubeconfigPath}\n`);
  await new Promise<void>((resolve) => {
    onStop = (signal) => {
      log.info({ signal }, 'shutting down');
      daemon.close().then(resolve, (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'close failed');
        resolve();
      });
    };
    if (requested !== undefined) onStop(requested);
  });
  process.off('SIGINT', caught).off('SIGTERM', caught);
  log.info({}, 'stopped');
  log.flush();
}
