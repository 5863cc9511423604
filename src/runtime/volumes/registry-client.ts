// Pulling from an OCI registry (Docker Registry HTTP API v2 / OCI distribution) with
// node's fetch: manifests (OCI and Docker v2, indexes resolved to linux/amd64), bearer
// token auth from the WWW-Authenticate challenge, blobs streamed to a file with their
// sha256 checked. Only this file talks HTTP; the fetch function can be injected.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { checkDescriptor, checkDigest, DEFAULT_PULL_LIMITS, DIGEST_RE, PullLimitError, type Descriptor, type PullLimits } from './pull-limits.ts';

export type { Descriptor } from './pull-limits.ts';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

export interface ImageManifest {
  /** Digest of the manifest actually used (the platform's, when the tag named an index). */
  digest: string;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** Raised when the registry refused or failed a request; names the image, the URL and the HTTP status. */
export class RegistryError extends Error {
  constructor(
    readonly image: string,
    readonly registryUrl: string,
    readonly status: number | undefined,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`pulling ${image} from ${registryUrl}: ${status !== undefined ? `HTTP ${status}` : 'request failed'}: ${detail}`, options);
    this.name = 'RegistryError';
  }
}

/** Raised when downloaded bytes do not hash to the digest they were asked for. */
export class DigestMismatchError extends Error {
  constructor(
    readonly image: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`pulling ${image}: blob expected to be ${expected}, downloaded bytes hash to ${found}`);
    this.name = 'DigestMismatchError';
  }
}

/** Raised when a manifest or index is not what an image needs (no linux/amd64, unknown media type). */
export class ManifestError extends Error {
  constructor(
    readonly image: string,
    readonly reason: string,
  ) {
    super(`pulling ${image}: ${reason}`);
    this.name = 'ManifestError';
  }
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface RegistryClientOptions {
  /** Base URL (`http://127.0.0.1:5000`); see resolvePullSource. */
  baseUrl: string;
  repository: string;
  /** The image as the user wrote it, for messages. */
  image: string;
  fetch?: FetchLike;
  /** Wanted platform; linux/amd64 by default. */
  platform?: { os: string; architecture: string };
  limits?: Partial<PullLimits>;
  /**
   * Origins (`https://auth.example.com`) a Bearer challenge's realm may name besides the
   * registry's own scheme+host; a registry cannot send the client anywhere else.
   */
  tokenRealms?: readonly string[];
}

/** Raised when a registry's Bearer challenge names a token realm the node does not allow. */
export class TokenRealmError extends Error {
  constructor(
    readonly image: string,
    readonly allowed: readonly string[],
    readonly found: string,
  ) {
    super(`pulling ${image}: expected the token realm's origin to be one of ${allowed.join(', ')}, found ${found} (add it to the allowed token realms to trust it)`);
    this.name = 'TokenRealmError';
  }
}

/** At most this many layers in a manifest and entries in an index. */
export const MAX_MANIFEST_ENTRIES = 256;

/** Parses `Bearer realm="…",service="…",scope="…"` into its scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  const params: Record<string, string> = {};
  if (!m) return { scheme: '', params };
  const re = /(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2] ?? ''); p; p = re.exec(m[2] ?? '')) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1]!.toLowerCase(), params };
}

/** From an index, the manifest for the platform (variant ignored); undefined when none. */
export function pickPlatform(manifests: readonly Descriptor[], platform: { os: string; architecture: string }): Descriptor | undefined {
  return manifests.find((d) => d.platform?.os === platform.os && d.platform.architecture === platform.architecture);
}

const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A client for one repository at one registry. */
export class RegistryClient {
  private token: string | undefined;
  private readonly fetch: FetchLike;
  private readonly platform: { os: string; architecture: string };
  private readonly limits: PullLimits;

  constructor(private readonly options: RegistryClientOptions) {
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
    this.limits = { ...DEFAULT_PULL_LIMITS, ...options.limits };
  }

  private url(kind: 'manifests' | 'blobs', reference: string): string {
    return `${this.options.baseUrl.replace(/\/+$/, '')}/v2/${this.options.repository}/${kind}/${reference}`;
  }

  private fail(url: string, status: number | undefined, detail: string, cause?: unknown): RegistryError {
    return new RegistryError(this.options.image, url, status, detail, cause === undefined ? undefined : { cause });
  }

  // GET with the token when there is one; on a 401 Bearer challenge fetch a token and retry once.
  private async get(url: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<Response> {
    const attempt = async () => {
      const h = { ...headers, ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {}) };
      try {
        return await this.fetch(url, { headers: h, redirect: 'follow', ...(signal ? { signal } : {}) });
      } catch (err) {
        if (signal?.aborted) throw err;
        throw this.fail(url, undefined, (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message, err);
      }
    };
    let res = await attempt();
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate');
      await res.body?.cancel();
      if (challenge === null) throw this.fail(url, 401, 'unauthorized, and the registry sent no WWW-Authenticate challenge');
      await this.authenticate(url, challenge, signal);
      res = await attempt();
    }
    return res;
  }

  private async authenticate(url: string, challenge: string, signal: AbortSignal | undefined): Promise<void> {
    const { scheme, params } = parseChallenge(challenge);
    if (scheme !== 'bearer' || params.realm === undefined) {
      throw this.fail(url, 401, `unauthorized; the registry asks for ${JSON.stringify(challenge)} and pxevirt supports anonymous Bearer tokens only`);
    }
    let tokenUrl: URL;
    try {
      tokenUrl = new URL(params.realm);
    } catch {
      throw this.fail(url, 401, `the Bearer challenge's realm is not a URL: ${JSON.stringify(params.realm.slice(0, 120))}`);
    }
    const allowed = [new URL(this.options.baseUrl).origin, ...(this.options.tokenRealms ?? []).map((r) => new URL(r).origin)];
    if (!allowed.includes(tokenUrl.origin)) throw new TokenRealmError(this.options.image, allowed, tokenUrl.origin);
    if (params.service !== undefined) tokenUrl.searchParams.set('service', params.service);
    tokenUrl.searchParams.set('scope', params.scope ?? `repository:${this.options.repository}:pull`);
    let res: Response;
    try {
      res = await this.fetch(tokenUrl.href, signal ? { signal } : {});
    } catch (err) {
      if (signal?.aborted) throw err;
      throw this.fail(tokenUrl.href, undefined, `token request failed: ${(err as Error).message}`, err);
    }
    // The token endpoint's body is never echoed (it would land in a VMI's status).
    if (!res.ok) {
      await res.body?.cancel();
      throw this.fail(tokenUrl.origin + tokenUrl.pathname, res.status, 'token request refused');
    }
    let body: { token?: string; access_token?: string };
    try {
      body = JSON.parse((await this.readCapped(res, tokenUrl.origin + tokenUrl.pathname, 'token response')).toString('utf8')) as typeof body;
    } catch (err) {
      if (err instanceof PullLimitError) throw err;
      throw this.fail(tokenUrl.origin + tokenUrl.pathname, res.status, 'token response is not JSON');
    }
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || token === '') throw this.fail(tokenUrl.origin + tokenUrl.pathname, res.status, 'token response has no token');
    this.token = token;
  }

  private async manifestAt(reference: string, signal: AbortSignal | undefined): Promise<{ mediaType: string; digest: string; json: Record<string, unknown> }> {
    const url = this.url('manifests', reference);
    const res = await this.get(url, { accept: ACCEPT }, signal);
    if (!res.ok) {
      const text = (await res.text()).slice(0, 300).trim();
      const what = res.status === 404 ? 'manifest unknown (no such image or tag)' : 'manifest request refused';
      throw this.fail(url, res.status, text === '' ? what : `${what}: ${text}`);
    }
    const body = await this.readCapped(res, url, 'manifest');
    const digest = `sha256:${sha256Hex(body)}`;
    if (reference.startsWith('sha256:') && reference !== digest) throw new DigestMismatchError(this.options.image, reference, digest);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ManifestError(this.options.image, `manifest at ${url} is not JSON`);
    }
    const header = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const mediaType = typeof json.mediaType === 'string' ? json.mediaType : header;
    return { mediaType, digest, json };
  }

  // Reads a small response (manifest, token) whole, refusing it past maxManifestBytes.
  private async readCapped(res: Response, url: string, what: string): Promise<Buffer> {
    const cap = this.limits.maxManifestBytes;
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > cap) {
      await res.body?.cancel();
      throw new PullLimitError(this.options.image, `${what} at ${url}`, cap, declared);
    }
    if (res.body === null) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let n = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      n += chunk.length;
      if (n > cap) {
        await res.body.cancel().catch(() => undefined);
        throw new PullLimitError(this.options.image, `${what} at ${url}`, cap, n);
      }
      parts.push(Buffer.from(chunk));
    }
    return Buffer.concat(parts);
  }

  /** Fetches the image's manifest; an index (or manifest list) is resolved to the platform's manifest. */
  async manifest(reference: string, signal?: AbortSignal): Promise<ImageManifest> {
    let m = await this.manifestAt(reference, signal);
    if (m.mediaType === MEDIA.ociIndex || m.mediaType === MEDIA.dockerList || (m.mediaType === '' && Array.isArray(m.json.manifests))) {
      const raw = Array.isArray(m.json.manifests) ? (m.json.manifests as unknown[]) : [];
      if (raw.length > MAX_MANIFEST_ENTRIES) throw new ManifestError(this.options.image, `expected at most ${MAX_MANIFEST_ENTRIES} manifests in the index, found ${raw.length}`);
      const list = raw.map((d, i) => checkDescriptor(this.options.image, `index.manifests[${i}]`, d, this.limits.maxManifestBytes));
      const chosen = pickPlatform(list, this.platform);
      if (chosen === undefined) {
        const found = list.map((d) => `${d.platform?.os ?? '?'}/${d.platform?.architecture ?? '?'}`).join(', ') || 'none';
        throw new ManifestError(this.options.image, `expected a manifest for ${this.platform.os}/${this.platform.architecture} in the index, found ${found}`);
      }
      m = await this.manifestAt(chosen.digest, signal);
    }
    if (m.mediaType !== MEDIA.ociManifest && m.mediaType !== MEDIA.dockerManifest && !(m.mediaType === '' && Array.isArray(m.json.layers))) {
      throw new ManifestError(this.options.image, `expected an image manifest (${MEDIA.ociManifest} or ${MEDIA.dockerManifest}), found ${JSON.stringify(m.mediaType)}`);
    }
    if (!Array.isArray(m.json.layers) || m.json.config === undefined) throw new ManifestError(this.options.image, 'manifest has no config or layers');
    if (m.json.layers.length > MAX_MANIFEST_ENTRIES) throw new ManifestError(this.options.image, `expected at most ${MAX_MANIFEST_ENTRIES} layers, found ${m.json.layers.length}`);
    // Checked here, where they are parsed: a layer digest becomes a path in the cache.
    const config = checkDescriptor(this.options.image, 'manifest.config', m.json.config, this.limits.maxBlobBytes);
    const layers = (m.json.layers as unknown[]).map((l, i) => checkDescriptor(this.options.image, `manifest.layers[${i}]`, l, this.limits.maxBlobBytes));
    return { digest: m.digest, mediaType: m.mediaType, config, layers };
  }

  /**
   * Streams blob `digest` to `dest` (written beside, renamed when the sha256 matches).
   * `onProgress` sees the bytes received so far and the total when known.
   */
  async downloadBlob(digest: string, dest: string, options: { size?: number; signal?: AbortSignal; onProgress?: (p: { bytes: number; total?: number }) => void } = {}): Promise<void> {
    const url = this.url('blobs', digest);
    if (!DIGEST_RE.test(digest)) checkDigest(this.options.image, 'blob digest', digest);
    const res = await this.get(url, {}, options.signal);
    if (!res.ok || res.body === null) {
      const text = (await res.text().catch(() => '')).slice(0, 300).trim();
      throw this.fail(url, res.status, `blob request refused${text === '' ? '' : `: ${text}`}`);
    }
    const length = Number(res.headers.get('content-length') ?? NaN);
    const total = options.size ?? (Number.isFinite(length) ? length : undefined);
    // The manifest's declared size is the most a blob may be; a registry sending more is cut off.
    const cap = Math.min(options.size ?? this.limits.maxBlobBytes, this.limits.maxBlobBytes);
    if (Number.isFinite(length) && length > cap) {
      await res.body.cancel();
      throw new PullLimitError(this.options.image, `blob ${digest}`, cap, length);
    }
    const hash = createHash('sha256');
    let bytes = 0;
    const report = options.onProgress;
    const image = this.options.image;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        if (bytes + chunk.length > cap) {
          done(new PullLimitError(image, `blob ${digest}`, cap, bytes + chunk.length));
          return;
        }
        hash.update(chunk);
        bytes += chunk.length;
        report?.(total === undefined ? { bytes } : { bytes, total });
        done(null, chunk);
      },
    });
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.part-${process.pid}-${randomBytes(3).toString('hex')}`;
    options.signal?.throwIfAborted();
    // Open before streaming: a write stream opening lazily could create the file after an
    // abort's cleanup had already removed it.
    const file = await open(tmp, 'w');
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), tap, file.createWriteStream(), options.signal ? { signal: options.signal } : {});
      const found = `sha256:${hash.digest('hex')}`;
      if (found !== digest) throw new DigestMismatchError(this.options.image, digest, found);
      await rename(tmp, dest);
    } catch (err) {
      await file.close().catch(() => undefined);
      await rm(tmp, { force: true });
      if (err instanceof DigestMismatchError || err instanceof PullLimitError || options.signal?.aborted) throw err;
      throw this.fail(url, res.status, `download failed after ${bytes} bytes: ${(err as Error).message}`, err);
    }
  }
}
