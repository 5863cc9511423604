// Downloads one file over HTTP(S) to disk, abortably: the caller's signal (the daemon stopping)
// and a deadline both end it at once, and a partial file never takes the final name.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import type { Logger } from '../lib/logger.ts';

/** The download did not complete; `why` says what happened instead. */
export class DownloadError extends Error {
  constructor(
    readonly url: string,
    readonly why: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot download ${url}: ${why}`, options);
    this.name = 'DownloadError';
  }
}

export interface DownloadOptions {
  log: Logger;
  /** Deadline of the whole download (default 10 min). */
  timeoutMs?: number;
  /** Aborts the download at once (the daemon is stopping). */
  signal?: AbortSignal;
}

/** Downloads url to `to` (kept across restarts: an existing file is not fetched again). */
export async function download(url: string, to: string, o: DownloadOptions): Promise<void> {
  if (existsSync(to)) return;
  await mkdir(dirname(to), { recursive: true });
  const timeoutMs = o.timeoutMs ?? 600_000;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, deadline]) : deadline;
  const tmp = `${to}.part`;
  try {
    const res = await fetch(url, { signal });
    if (!res.ok || !res.body) throw new Error(`expected 200 OK, found ${res.status} ${res.statusText}`);
    await pipeline(Readable.fromWeb(res.body as ReadableStream), createWriteStream(tmp), { signal });
    await rename(tmp, to);
    o.log.info({ url, to }, 'image downloaded');
  } catch (err) {
    await rm(tmp, { force: true });
    const why = o.signal?.aborted ? 'aborted (the daemon is stopping)' : deadline.aborted ? `no complete answer within ${timeoutMs} ms` : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
    throw new DownloadError(url, why, { cause: err });
  }
}
