// What a registry may make the node hold: every digest checked where a manifest or index is
// parsed (it becomes a path in the cache), every size bounded, every cache path kept inside
// the cache. Registries are not trusted (docs/security.md).
import { resolve, sep } from 'node:path';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Caps on what one pull may read, hold or write. */
export interface PullLimits {
  /** A manifest or index body (containerd's limit: 4 MiB). */
  maxManifestBytes: number;
  /** A layer blob as declared by its manifest; a download past its declared size is cut off. */
  maxBlobBytes: number;
  /** The disk file extracted from a layer, and all bytes read from one layer's tar. */
  maxDiskBytes: number;
  /** A pax or GNU long-name tar member (held in memory). */
  maxTarMetaBytes: number;
  /** Free space left on the cache's filesystem after a download or an extraction. */
  reserveBytes: number;
}

export const DEFAULT_PULL_LIMITS: Readonly<PullLimits> = {
  maxManifestBytes: 4 * MiB,
  maxBlobBytes: 64 * GiB,
  maxDiskBytes: 64 * GiB,
  maxTarMetaBytes: 1 * MiB,
  reserveBytes: 1 * GiB,
};

export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture?: string; os?: string; variant?: string };
}

/** Raised when a manifest or index entry is malformed: names the image, the field, what was expected and found. */
export class InvalidDescriptorError extends Error {
  constructor(
    readonly image: string,
    readonly field: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`pulling ${image}: ${field}: expected ${expected}, found ${found}`);
    this.name = 'InvalidDescriptorError';
  }
}

/** Raised when a pull would pass one of its limits (size, free space). */
export class PullLimitError extends Error {
  constructor(
    readonly image: string,
    readonly what: string,
    readonly limit: number,
    readonly found: number,
  ) {
    super(`pulling ${image}: ${what}: expected at most ${limit} bytes, found ${found}`);
    this.name = 'PullLimitError';
  }
}

/** Raised when a path built from registry data would leave the cache dir. */
export class CachePathError extends Error {
  constructor(
    readonly root: string,
    readonly path: string,
  ) {
    super(`image cache: expected a path inside ${root}, found ${path}`);
    this.name = 'CachePathError';
  }
}

const shown = (v: unknown) => (JSON.stringify(v) ?? String(v)).slice(0, 120);

/** Checks a digest string from a registry document. */
export function checkDigest(image: string, field: string, digest: unknown): string {
  if (typeof digest !== 'string' || !DIGEST_RE.test(digest)) throw new InvalidDescriptorError(image, field, 'a digest sha256:<64 lowercase hex>', shown(digest));
  return digest;
}

/** Parses one descriptor (a layer, the config, an index entry): digest format and a size within `maxSize`. */
export function checkDescriptor(image: string, field: string, value: unknown, maxSize: number): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidDescriptorError(image, field, 'an object', shown(value));
  const d = value as Record<string, unknown>;
  const digest = checkDigest(image, `${field}.digest`, d.digest);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw new InvalidDescriptorError(image, `${field}.size`, 'a byte count (a non-negative integer)', shown(d.size));
  if (d.size > maxSize) throw new PullLimitError(image, `${field}.size`, maxSize, d.size);
  const out: Descriptor = { mediaType: typeof d.mediaType === 'string' ? d.mediaType : '', digest, size: d.size };
  if (typeof d.platform === 'object' && d.platform !== null) out.platform = d.platform as NonNullable<Descriptor['platform']>;
  return out;
}

/** Returns `path` resolved, or throws when it is not strictly inside `root`. */
export function insideRoot(root: string, path: string): string {
  const r = resolve(root);
  const p = resolve(path);
  if (!p.startsWith(r + sep)) throw new CachePathError(r, p);
  return p;
}
