// The containerDisk cache on the node: layer blobs by digest
// (`<cacheDir>/blobs/sha256/<hex>`), the single file under `disk/` extracted from the layer
// that holds it (`<cacheDir>/disks/<digest>/<file>`, read-only), and which digest an image
// reference last resolved to (`<cacheDir>/refs/`), so a pull of a cached digest downloads
// nothing and `IfNotPresent` needs no network at all.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import type { PullProgress } from '../types.ts';
import { formatImageRef, manifestReference, parseImageRef, resolvePullSource, type RegistryMirrors } from './image-ref.ts';
import { UnsupportedDiskImageError } from './overlay.ts';
import { checkDigest, DEFAULT_PULL_LIMITS, insideRoot, PullLimitError, type PullLimits } from './pull-limits.ts';
import { QCOW2_HEADER_BYTES, qcow2Refusal } from './qcow2-header.ts';
import { RegistryClient, type Descriptor, type FetchLike } from './registry-client.ts';
import { TarReader } from './tar-reader.ts';

/** The cached resolution of an image reference (read synchronously: see cachedDiskNow). */
function readRefRecord(path: string): RefRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as RefRecord;
    // A record from an older pxevirt may hold a digest nobody checked: treat it as absent.
    return typeof r.layerDigest === 'string' && /^sha256:[0-9a-f]{64}$/.test(r.layerDigest) && typeof r.manifestDigest === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Raised when an image is not a containerDisk: no file, or more than one, under /disk/. */
export class ContainerDiskLayoutError extends Error {
  constructor(
    readonly image: string,
    readonly found: readonly string[],
  ) {
    super(`containerDisk ${image}: expected exactly one file under /disk/, found ${found.length === 0 ? 'none' : found.join(', ')}`);
    this.name = 'ContainerDiskLayoutError';
  }
}

/** Raised when the file named by containerDisk.path is in no layer of the image. */
export class ContainerDiskPathError extends Error {
  constructor(
    readonly image: string,
    readonly path: string,
  ) {
    super(`containerDisk ${image}: expected a file at containerDisk.path /${path}, found none in the image's layers`);
    this.name = 'ContainerDiskPathError';
  }
}

/** Raised when a layer is compressed in a way pxevirt does not read (zstd). */
export class UnsupportedLayerError extends Error {
  constructor(
    readonly image: string,
    readonly digest: string,
    readonly mediaType: string,
  ) {
    super(`containerDisk ${image}: layer ${digest} is ${mediaType || 'of unknown type'}; expected a tar, gzip'd or not`);
    this.name = 'UnsupportedLayerError';
  }
}

/** Raised for imagePullPolicy Never when the image is not in the cache. */
export class ImageNotCachedError extends Error {
  constructor(readonly image: string) {
    super(`containerDisk ${image}: imagePullPolicy is Never and the image is not in the node's cache`);
    this.name = 'ImageNotCachedError';
  }
}

export interface PulledDisk {
  /** The cached disk file (never written by guests: use it as a backing file). */
  path: string;
  /** Digest of the layer it came from (the cache key). */
  layerDigest: string;
  /** Digest of the manifest it was resolved through. */
  manifestDigest: string;
  /** Bytes downloaded for this pull (0 when everything was cached). */
  downloaded: number;
}

export interface PullOptions {
  mirrors?: RegistryMirrors;
  /** KubeVirt's imagePullPolicy: Always resolves the tag at the registry, IfNotPresent/Never use a cached resolution. */
  pullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** containerDisk.path: the disk file's path in the image, instead of the single file under /disk/. */
  path?: string;
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
}

interface RefRecord {
  image: string;
  manifestDigest: string;
  layerDigest: string;
  file: string;
}

const hexOf = (digest: string) => digest.slice(digest.indexOf(':') + 1);
const GZIP_MAGIC = [0x1f, 0x8b];

async function writeChunk(ws: WriteStream, chunk: Buffer): Promise<void> {
  if (!ws.write(chunk)) await once(ws, 'drain');
}

/** The node's image cache; one per cache dir (it also keeps concurrent pulls of a digest to one). */
export class DiskCache {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly fetch: FetchLike | undefined;
  private readonly limits: PullLimits;
  private readonly tokenRealms: readonly string[];
  private readonly freeBytes: (dir: string) => Promise<number>;

  constructor(
    readonly cacheDir: string,
    options: {
      fetch?: FetchLike;
      limits?: Partial<PullLimits>;
      /** Token realm origins allowed besides each registry's own (see RegistryClient). */
      tokenRealms?: readonly string[];
      /** Free bytes on the filesystem holding `dir` (injectable for tests). */
      freeBytes?: (dir: string) => Promise<number>;
    } = {},
  ) {
    this.fetch = options.fetch;
    this.limits = { ...DEFAULT_PULL_LIMITS, ...options.limits };
    this.tokenRealms = options.tokenRealms ?? [];
    this.freeBytes = options.freeBytes ?? (async (dir) => {
      const s = await statfs(dir);
      return s.bavail * s.bsize;
    });
  }

  /** The blob file for `digest`; throws for a digest that is not sha256 hex (it would make a path). */
  blobPath(digest: string): string {
    checkDigest(this.cacheDir, 'layer digest', digest);
    return insideRoot(this.cacheDir, join(this.cacheDir, 'blobs', 'sha256', hexOf(digest)));
  }

  // Refuses to write `bytes` when the cache's filesystem would keep less than the reserve.
  private async needSpace(image: string, what: string, bytes: number): Promise<void> {
    await mkdir(this.cacheDir, { recursive: true });
    const free = await this.freeBytes(this.cacheDir);
    const room = Math.max(0, free - this.limits.reserveBytes);
    if (bytes > room) throw new PullLimitError(image, `${what} (free space on ${this.cacheDir} is ${free} bytes, ${this.limits.reserveBytes} kept in reserve)`, room, bytes);
  }

  // A custom containerDisk.path gets its own dir: one layer may hold several disks.
  private diskDir(digest: string, filePath?: string): string {
    checkDigest(this.cacheDir, 'layer digest', digest);
    const suffix = filePath === undefined ? '' : `-${createHash('sha256').update(filePath).digest('hex').slice(0, 12)}`;
    return insideRoot(this.cacheDir, join(this.cacheDir, 'disks', `${hexOf(digest)}${suffix}`));
  }

  private refPath(image: string): string {
    return join(this.cacheDir, 'refs', `${createHash('sha256').update(image).digest('hex')}.json`);
  }

  /** The cached disk file extracted from layer `digest`, or undefined. */
  async cachedDisk(digest: string, filePath?: string): Promise<string | undefined> {
    return this.cachedDiskNow(digest, filePath);
  }

  // Synchronous: a start on a cached disk is a handful of tiny reads, and on a loaded machine each
  // round trip through libuv's pool waits for the daemon to be scheduled again (docs/benchmarks.md).
  private cachedDiskNow(digest: string, filePath?: string): string | undefined {
    const dir = this.diskDir(digest, filePath);
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      return undefined;
    }
    const file = files.find((f) => !f.startsWith('.'));
    return file === undefined ? undefined : insideRoot(dir, join(dir, file));
  }

  // Runs `work` once per key at a time: a second caller waits for the first's result.
  private once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = work().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Pulls `image` (through its mirror when configured) and returns the cached disk file. */
  async pull(image: string, options: PullOptions = {}): Promise<PulledDisk> {
    const ref = parseImageRef(image);
    const filePath = options.path === undefined || options.path === '' ? undefined : options.path.replace(/^\/+/, '');
    const key = `${formatImageRef(ref)}${filePath === undefined ? '' : ` ${filePath}`}`;
    const policy = options.pullPolicy ?? 'IfNotPresent';
    const progress = (bytes: number, total: number | undefined, done: boolean) =>
      options.onProgress?.({ image, bytes, ...(total !== undefined ? { total } : {}), done });

    if (policy !== 'Always' || ref.digest !== undefined) {
      const record = readRefRecord(this.refPath(key));
      const path = record && this.cachedDiskNow(record.layerDigest, filePath);
      if (record && path !== undefined && (ref.digest === undefined || ref.digest === record.manifestDigest)) {
        progress(0, 0, true);
        return { path, layerDigest: record.layerDigest, manifestDigest: record.manifestDigest, downloaded: 0 };
      }
      if (policy === 'Never') throw new ImageNotCachedError(image);
    }

    const source = resolvePullSource(ref, options.mirrors);
    const client = new RegistryClient({
      baseUrl: source.baseUrl,
      repository: source.repository,
      image,
      limits: this.limits,
      tokenRealms: this.tokenRealms,
      ...(this.fetch ? { fetch: this.fetch } : {}),
    });
    const manifest = await client.manifest(manifestReference(ref), options.signal);
    // The file under disk/ is in the topmost layer that has one.
    const layers = [...manifest.layers].reverse();
    let downloaded = 0;
    const missing = layers.filter((l) => !existsSync(this.blobPath(l.digest)));
    const total = missing.reduce((n, l) => n + (Number.isFinite(l.size) ? l.size : 0), 0);
    const seen: string[] = [];
    for (const layer of layers) {
      let path = await this.cachedDisk(layer.digest, filePath);
      if (path === undefined) {
        if (!existsSync(this.blobPath(layer.digest))) {
          await this.needSpace(image, `layer ${layer.digest}`, layer.size);
          const before = downloaded;
          await this.once(`blob ${layer.digest}`, () =>
            client.downloadBlob(layer.digest, this.blobPath(layer.digest), {
              size: layer.size,
              ...(options.signal ? { signal: options.signal } : {}),
              onProgress: (p) => {
                downloaded = before + p.bytes;
                progress(downloaded, total, false);
              },
            }),
          );
        }
        const result = await this.once(`disk ${layer.digest} ${filePath ?? ''}`, () => this.extract(image, layer, filePath));
        if (typeof result !== 'string') {
          seen.push(...result.found);
          continue;
        }
        path = result;
      }
      await mkdir(join(this.cacheDir, 'refs'), { recursive: true });
      const record: RefRecord = { image: key, manifestDigest: manifest.digest, layerDigest: layer.digest, file: path };
      await writeFile(this.refPath(key), JSON.stringify(record));
      progress(downloaded, total, true);
      return { path, layerDigest: layer.digest, manifestDigest: manifest.digest, downloaded };
    }
    if (filePath !== undefined) throw new ContainerDiskPathError(image, filePath);
    throw new ContainerDiskLayoutError(image, seen);
  }

  /**
   * Extracts the single file under disk/ from a cached layer into the disk cache; returns
   * its path, or what else was found under disk/ when the layer has no such file.
   */
  private async extract(image: string, layer: Descriptor, filePath: string | undefined): Promise<string | { found: string[] }> {
    const blob = this.blobPath(layer.digest);
    if (/zstd/.test(layer.mediaType)) throw new UnsupportedLayerError(image, layer.digest, layer.mediaType);
    const head = Buffer.alloc(2);
    const fh = await open(blob);
    await fh.read(head, 0, 2, 0);
    await fh.close();
    const gzipped = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    const input = gzipped ? createReadStream(blob).pipe(createGunzip()) : createReadStream(blob);

    const final = this.diskDir(layer.digest, filePath);
    const tmpDir = `${final}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
    await mkdir(tmpDir, { recursive: true });
    const files: string[] = [];
    const others: string[] = [];
    let out: WriteStream | undefined;
    let outPath: string | undefined;
    try {
      const reader = new TarReader({ maxMetaBytes: this.limits.maxTarMetaBytes });
      const handle = async (events: ReturnType<TarReader['push']>) => {
        for (const e of events) {
          if (e.kind === 'entry') {
            const m = filePath === undefined ? /^disk\/([^/]+)$/.exec(e.header.path) : e.header.path === filePath ? [e.header.path, basename(filePath)] : null;
            if (m && e.header.type === 'file' && !m[1]!.startsWith('.wh.')) {
              files.push(e.header.path);
              if (files.length === 1) {
                if (e.header.size > this.limits.maxDiskBytes) throw new PullLimitError(image, `disk file /${e.header.path} in layer ${layer.digest}`, this.limits.maxDiskBytes, e.header.size);
                await this.needSpace(image, `disk file /${e.header.path}`, e.header.size);
                outPath = join(tmpDir, m[1]!);
                out = createWriteStream(outPath);
              }
            } else if (e.header.path.startsWith('disk/') && e.header.type !== 'dir') others.push(e.header.path);
          } else if (e.kind === 'data' && out !== undefined) {
            await writeChunk(out, e.chunk);
          } else if (e.kind === 'entry-end' && out !== undefined) {
            const ws = out;
            out = undefined;
            await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
          }
        }
      };
      // A gzip bomb of members we skip still costs CPU: bound all bytes read from the layer.
      const maxTar = 2 * this.limits.maxDiskBytes + 16 * 1024 * 1024;
      let tarBytes = 0;
      for await (const chunk of input) {
        tarBytes += (chunk as Buffer).length;
        if (tarBytes > maxTar) throw new PullLimitError(image, `uncompressed layer ${layer.digest}`, maxTar, tarBytes);
        await handle(reader.push(chunk as Buffer));
      }
      await handle(reader.end());
      if (files.length > 1 && filePath === undefined) throw new ContainerDiskLayoutError(image, files);
      if (outPath === undefined) return { found: others };
      // Before the disk enters the cache: a qcow2 naming a host file must never be opened.
      const fh = await open(outPath, 'r');
      const head = Buffer.alloc(QCOW2_HEADER_BYTES);
      const { bytesRead } = await fh.read(head, 0, head.length, 0).finally(() => fh.close());
      const why = qcow2Refusal(head.subarray(0, bytesRead));
      if (why !== undefined) throw new UnsupportedDiskImageError(`${image} (/${files[0]})`, why);
      await chmod(outPath, 0o444);
      await rm(final, { recursive: true, force: true });
      await rename(tmpDir, final);
      return join(final, basename(outPath));
    } finally {
      out?.destroy();
      await rm(tmpDir, { recursive: true, force: true });
    }
  }
}
