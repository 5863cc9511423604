// `pxevirt pull IMAGE`: pulls a containerDisk into the node's image cache
// (<data-dir>/cache/images, the cache the daemon boots VMIs from) through the configured
// registry mirrors, with progress on stderr; prints the digest and the cached disk on stdout.
// Run it before creating VMIs so their start does not wait for a download.
import { DiskCache } from '../runtime/volumes/disk-cache.ts';
import { defaultDataDir, imageCacheDir, resolveDaemonConfig } from '../daemon/config.ts';
import { createPullReporter, type ProgressMode } from './pull-progress.ts';

export interface PullIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress `auto` draws a bar then). */
  errIsTty: boolean;
  columns?: number;
  now?: () => number;
}

export interface PullFlags {
  /** `pxevirt up`'s config file: its dataDir and registryMirrors apply. */
  config?: string;
  dataDir?: string;
  registryMirror?: string[];
  progress?: 'auto' | ProgressMode;
  signal?: AbortSignal;
}

/** Pulls `image` (tag re-resolved at the registry; cached layers not downloaded again). */
export async function pull(image: string, flags: PullFlags, io: PullIo): Promise<void> {
  const settings = await resolveDaemonConfig(
    {
      ...(flags.config !== undefined ? { config: flags.config } : {}),
      ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
      ...(flags.registryMirror !== undefined ? { registryMirror: flags.registryMirror } : {}),
    },
    { cwd: process.cwd(), defaultDataDir: defaultDataDir() },
  );
  const mode: ProgressMode = flags.progress === undefined || flags.progress === 'auto' ? (io.errIsTty ? 'tty' : 'plain') : flags.progress;
  const now = io.now ?? Date.now;
  const reporter = createPullReporter({ mode, write: io.err, now, ...(io.columns !== undefined ? { columns: io.columns } : {}) });
  const cache = new DiskCache(imageCacheDir(settings.dataDir));
  try {
    const pulled = await cache.pull(image, {
      pullPolicy: 'Always',
      onProgress: (p) => reporter.update(p),
      ...(settings.registryMirrors ? { mirrors: settings.registryMirrors } : {}),
      ...(flags.signal ? { signal: flags.signal } : {}),
    });
    reporter.finish(image, pulled.downloaded);
    io.out(`digest: ${pulled.manifestDigest}\ndisk: ${pulled.path}\n`);
  } catch (err) {
    reporter.abandon();
    throw err;
  }
}
