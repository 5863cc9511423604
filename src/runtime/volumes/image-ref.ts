// Container image references (`kubevirt/fedora-cloud-container-disk-demo:latest`,
// `quay.io/x/y@sha256:…`) parsed the way Docker normalizes them, and where to pull them
// from once registry mirrors are applied. Pure.

export interface ImageRef {
  /** Registry host[:port]; `docker.io` for names without one. */
  registry: string;
  /** Repository path; `library/NAME` for single-component Docker Hub names. */
  repository: string;
  /** Tag; `latest` when neither a tag nor a digest is given. */
  tag?: string;
  /** `sha256:<64 hex>` when given; it wins over the tag when pulling. */
  digest?: string;
}

/** Raised for an image reference that cannot be parsed. */
export class InvalidImageRefError extends Error {
  constructor(
    readonly image: string,
    readonly reason: string,
  ) {
    super(`image reference ${JSON.stringify(image)}: ${reason}`);
    this.name = 'InvalidImageRefError';
  }
}

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub serves the registry API. */
export const DOCKER_HUB_API = 'https://registry-1.docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Fa-f0-9]{32,}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$/;

/** Parses and normalizes an image reference (see ImageRef). */
export function parseImageRef(image: string): ImageRef {
  if (image === '' || image !== image.trim()) throw new InvalidImageRefError(image, 'expected a non-empty reference without spaces');
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidImageRefError(image, `expected a digest such as sha256:<64 hex digits> after '@', found ${JSON.stringify(digest)}`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidImageRefError(image, `expected a tag of letters, digits, '_', '.' or '-' (at most 128), found ${JSON.stringify(tag)}`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    if (!HOST.test(first)) throw new InvalidImageRefError(image, `expected a registry host[:port], found ${JSON.stringify(first)}`);
    registry = first === 'index.docker.io' ? DOCKER_HUB : first;
    parts.shift();
  }
  for (const part of parts) {
    if (!COMPONENT.test(part)) throw new InvalidImageRefError(image, `expected lower-case path components (a-z, 0-9, '.', '_', '-'), found ${JSON.stringify(part)}`);
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const ref: ImageRef = { registry, repository: parts.join('/') };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  if (tag === undefined && digest === undefined) ref.tag = 'latest';
  return ref;
}

/** The canonical text of a reference: `docker.io/library/busybox:latest`, `quay.io/x/y@sha256:…`. */
export function formatImageRef(ref: ImageRef): string {
  const name = `${ref.registry}/${ref.repository}`;
  if (ref.digest !== undefined) return `${name}${ref.tag !== undefined ? `:${ref.tag}` : ''}@${ref.digest}`;
  return `${name}:${ref.tag ?? 'latest'}`;
}

/** What to ask the registry for: the digest when pinned, else the tag. */
export const manifestReference = (ref: ImageRef): string => ref.digest ?? ref.tag ?? 'latest';

/** Registry host → base URL (`docker.io` → `http://127.0.0.1:5000`), as from `--registry-mirror`. */
export type RegistryMirrors = Readonly<Record<string, string>>;

export interface PullSource {
  /** Base URL of the registry API (no trailing slash, no `/v2`). */
  baseUrl: string;
  /** Repository path at that registry (a mirror's path prefix included). */
  repository: string;
  /** Whether a mirror was used. */
  mirrored: boolean;
}

/** Raised for a mirror URL that is not http(s)://host[:port][/prefix]. */
export class InvalidMirrorError extends Error {
  constructor(
    readonly registry: string,
    readonly mirror: string,
  ) {
    super(`registry mirror for ${registry}: expected a URL such as http://127.0.0.1:5000, found ${JSON.stringify(mirror)}`);
    this.name = 'InvalidMirrorError';
  }
}

const isLoopback = (host: string) => /^(localhost|127\.[0-9.]+|\[::1\])(:[0-9]+)?$/.test(host);

/**
 * Where to pull `ref` from: its registry's mirror when one is configured, else the
 * registry itself (https, or http for loopback hosts; Docker Hub at registry-1.docker.io).
 */
export function resolvePullSource(ref: ImageRef, mirrors: RegistryMirrors = {}): PullSource {
  const mirror = mirrors[ref.registry] ?? (ref.registry === DOCKER_HUB ? (mirrors['index.docker.io'] ?? mirrors['registry-1.docker.io']) : undefined);
  if (mirror !== undefined) {
    const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(mirror) ? mirror : `${isLoopback(mirror.split('/')[0] ?? '') ? 'http' : 'https'}://${mirror}`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidMirrorError(ref.registry, mirror);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '') throw new InvalidMirrorError(ref.registry, mirror);
    const prefix = url.pathname.replace(/^\/+|\/+$/g, '').replace(/^v2$/, '');
    return { baseUrl: url.origin, repository: prefix === '' ? ref.repository : `${prefix}/${ref.repository}`, mirrored: true };
  }
  if (ref.registry === DOCKER_HUB) return { baseUrl: DOCKER_HUB_API, repository: ref.repository, mirrored: false };
  return { baseUrl: `${isLoopback(ref.registry) ? 'http' : 'https'}://${ref.registry}`, repository: ref.repository, mirrored: false };
}

/** Raised for a `--registry-mirror` value that is not REGISTRY=URL. */
export class InvalidMirrorSpecError extends Error {
  constructor(readonly value: string) {
    super(`registry mirror: expected REGISTRY=URL such as docker.io=http://127.0.0.1:5000, found ${JSON.stringify(value)}`);
    this.name = 'InvalidMirrorSpecError';
  }
}

/**
 * Parses one `--registry-mirror` value, `REGISTRY=URL` (`docker.io=http://127.0.0.1:5000`),
 * checking the URL as resolvePullSource would use it.
 */
export function parseRegistryMirror(text: string): { registry: string; url: string } {
  const eq = text.indexOf('=');
  const registry = eq > 0 ? text.slice(0, eq).trim() : '';
  const url = eq > 0 ? text.slice(eq + 1).trim() : '';
  if (registry === '' || url === '' || !HOST.test(registry)) throw new InvalidMirrorSpecError(text);
  resolvePullSource({ registry, repository: 'x' }, { [registry]: url });
  return { registry, url };
}
