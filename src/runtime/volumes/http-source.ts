// Fetches a DataVolume's http source to a file, abortably and bounded: redirects followed (at
// most 5), the CA bundle of certConfigMap and the basic auth of secretRef used, the body cut off
// past a byte limit or when the filesystem would keep less than its reserve, progress reported
// against Content-Length. Errors name the URL, the way CDI's importer words them.
import { createWriteStream } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The source could not be read, or is not what a DataVolume can hold; names the source. */
export class ImportSourceError extends Error {
  constructor(
    readonly source: string,
    readonly why: string,
    options?: { cause?: unknown },
  ) {
    super(`${why} (source ${source})`, options);
    this.name = 'ImportSourceError';
  }
}

export interface HttpSource {
  url: string;
  /** PEM CA bundle to trust instead of the system's (certConfigMap). */
  ca?: string;
  /** Basic auth (secretRef: accessKeyId, secretKey). */
  auth?: { user: string; password: string };
}

export interface FetchOptions {
  signal?: AbortSignal;
  /** Bytes received and the total when the server said it. */
  onBytes?: (bytes: number, total: number | undefined) => void;
  /** The most bytes the body may have. */
  maxBytes: number;
  /** Free bytes the filesystem must keep. */
  reserveBytes: number;
  /** Free bytes of the filesystem holding a path (injectable for tests). */
  freeBytes?: (dir: string) => Promise<number>;
}

const MAX_REDIRECTS = 5;

function get(source: HttpSource, url: URL, signal: AbortSignal | undefined, redirects: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { 'user-agent': 'pxevirt-importer' };
    if (source.auth) headers.authorization = `Basic ${Buffer.from(`${source.auth.user}:${source.auth.password}`).toString('base64')}`;
    const req = request(url, { headers, ...(source.ca ? { ca: source.ca } : {}), ...(signal ? { signal } : {}) }, (res) => {
      const code = res.statusCode ?? 0;
      const location = res.headers.location;
      if (code >= 300 && code < 400 && location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) return reject(new ImportSourceError(source.url, `Unable to connect to http data source: expected at most ${MAX_REDIRECTS} redirects, found more`));
        const next = new URL(location, url);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') return reject(new ImportSourceError(source.url, `Unable to connect to http data source: a redirect to ${next.protocol} is not followed`));
        // Credentials go only to the origin they were given for.
        const onward = next.origin === url.origin ? source : { url: source.url, ...(source.ca ? { ca: source.ca } : {}) };
        return resolve(get(onward, next, signal, redirects + 1));
      }
      if (code !== 200) {
        res.resume();
        return reject(new ImportSourceError(source.url, `Unable to connect to http data source: expected status code 200, got ${code}. Status: ${code} ${res.statusMessage ?? ''}`.trim()));
      }
      resolve(res);
    });
    req.on('error', (err) => reject(signal?.aborted ? err : new ImportSourceError(source.url, `Unable to connect to http data source: ${err.message}`, { cause: err })));
    req.end();
  });
}

/** Downloads the source's body to `to`; throws ImportSourceError (or the abort) otherwise. */
export async function fetchToFile(source: HttpSource, to: string, o: FetchOptions): Promise<{ bytes: number }> {
  let url: URL;
  try {
    url = new URL(source.url);
  } catch (err) {
    throw new ImportSourceError(source.url, 'expected an http:// or https:// URL', { cause: err });
  }
  const free = o.freeBytes ?? (async (dir: string) => {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  });
  const res = await get(source, url, o.signal, 0);
  const declared = Number(res.headers['content-length']);
  const total = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
  if (total !== undefined && total > o.maxBytes) {
    res.destroy();
    throw new ImportSourceError(source.url, `the body is too large: expected at most ${o.maxBytes} bytes, found Content-Length ${total}`);
  }
  const room = (await free(dirname(to))) - o.reserveBytes;
  if (total !== undefined && total > room) {
    res.destroy();
    throw new ImportSourceError(source.url, `not enough free space: ${total} bytes to download, ${Math.max(0, room)} bytes free above the ${o.reserveBytes}-byte reserve`);
  }
  let bytes = 0;
  const limit = Math.min(o.maxBytes, room);
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limit) return done(new ImportSourceError(source.url, `the body is too large: expected at most ${limit} bytes (the byte limit or the free space), found more`));
      o.onBytes?.(bytes, total);
      done(null, chunk);
    },
  });
  try {
    await pipeline(res, counter, createWriteStream(to, { mode: 0o600 }), ...(o.signal ? [{ signal: o.signal }] : []));
  } catch (err) {
    if (err instanceof ImportSourceError || o.signal?.aborted) throw err;
    throw new ImportSourceError(source.url, `the download broke off after ${bytes} bytes: ${(err as Error).message}`, { cause: err });
  }
  if (total !== undefined && bytes !== total) throw new ImportSourceError(source.url, `the download broke off: expected ${total} bytes, found ${bytes}`);
  return { bytes };
}
