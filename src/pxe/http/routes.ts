// Maps a request line to what it asks for. Pure: the raw target is split by hand, not
// through WHATWG URL, which would quietly resolve "..", and "%2e%2e", before we see them.
import { archFromIpxe } from '../boot-plan.ts';
import { normalizeMac } from '../../lib/mac.ts';
import { CLIENT_ARCHES, type ClientArch } from '../../resources/pxe-server.ts';

export type Route =
  | { kind: 'boot'; query: URLSearchParams }
  | { kind: 'menu'; query: URLSearchParams }
  | { kind: 'image'; name: string; query: URLSearchParams }
  | { kind: 'file'; path: string; query: URLSearchParams }
  | { kind: 'ipxe'; path: string; query: URLSearchParams }
  | { kind: 'status' }
  | { kind: 'metrics' }
  /** A host's install is done (POST /done/<token>). */
  | { kind: 'done'; token: string }
  | { kind: 'not-found'; path: string }
  | { kind: 'bad-request'; path: string; message: string };

/** The metrics label of a route. */
export type RouteKind = 'file' | 'script' | 'menu' | 'status' | 'metrics' | 'ipxe' | 'other';

/** Maps a route to its `kind` label in pxevirt_pxe_http_requests_total. */
export function metricsKind(route: Route): RouteKind {
  switch (route.kind) {
    case 'boot':
    case 'image':
      return 'script';
    case 'menu':
    case 'file':
    case 'ipxe':
    case 'status':
    case 'metrics':
      return route.kind;
    default:
      return 'other';
  }
}

/** Methods every route accepts; anything else is 405. */
export const ALLOWED_METHODS = ['GET', 'HEAD'] as const;

/** Methods /done/<token> accepts (busybox `wget --post-data=` and `curl -X POST`; PUT for tools that only do that). */
export const DONE_METHODS = ['POST', 'PUT'] as const;

const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/** Parses a request target (`/files/a%20b?x=1`) into a route. */
export function routeOf(target: string): Route {
  // Absolute-form targets (`http://host/path`) are legal in HTTP/1.1; keep the path.
  const withoutOrigin = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '') || '/';
  const noFragment = withoutOrigin.split('#', 1)[0] ?? '';
  const q = noFragment.indexOf('?');
  const path = q < 0 ? noFragment : noFragment.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : noFragment.slice(q + 1));

  if (path === '/boot.ipxe') return { kind: 'boot', query };
  if (path === '/menu.ipxe') return { kind: 'menu', query };
  if (path === '/status') return { kind: 'status' };
  if (path === '/metrics') return { kind: 'metrics' };
  const done = /^\/done\/([^/]*)$/.exec(path);
  // A malformed token is as unknown as a wrong one: 404, nothing said about the format.
  if (done) return TOKEN.test(done[1] ?? '') ? { kind: 'done', token: done[1] as string } : { kind: 'not-found', path: '/done/…' };
  const image = /^\/image\/([^/]+)\.ipxe$/.exec(path);
  if (image?.[1] !== undefined) {
    const name = decode(image[1]);
    return name === undefined ? badRequest(path) : { kind: 'image', name, query };
  }
  for (const kind of ['file', 'ipxe'] as const) {
    const prefix = kind === 'file' ? '/files/' : '/ipxe/';
    if (!path.startsWith(prefix)) continue;
    const segments = path.slice(prefix.length).split('/').map(decode);
    if (segments.some((s) => s === undefined)) return badRequest(path);
    const rest = segments.join('/');
    // /ipxe/<file> is the virtual ipxe/ directory of openConfined(): one name, no subfolders.
    if (kind === 'ipxe') return rest === '' || rest.includes('/') ? { kind: 'not-found', path } : { kind, path: `ipxe/${rest}`, query };
    return { kind, path: rest, query };
  }
  return { kind: 'not-found', path };
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function badRequest(path: string): Route {
  return { kind: 'bad-request', path, message: `expected a path with valid percent-encoding, found ${JSON.stringify(path)}` };
}

/** What a script request says about its client; values iPXE left empty count as absent. */
export interface QueryClient {
  /** Absent when the query has no `mac` at all (then the server asks iPXE to fill it in). */
  macGiven: boolean;
  /** The normalised MAC, undefined when missing or malformed. */
  mac?: string;
  rawMac?: string;
  uuid?: string;
  hostname?: string;
  arch?: ClientArch;
}

/** Reads mac, uuid, hostname and arch (`arch`, or iPXE's `platform` and `buildarch`) from a query. */
export function clientFromQuery(query: URLSearchParams): QueryClient {
  const get = (key: string): string | undefined => {
    const v = query.get(key)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const rawMac = query.get('mac') ?? undefined;
  const mac = rawMac === undefined ? undefined : normalizeMac(rawMac);
  const uuid = get('uuid')?.toLowerCase();
  const hostname = get('hostname');
  const archText = get('arch');
  let arch: ClientArch | undefined;
  if (archText !== undefined && (CLIENT_ARCHES as readonly string[]).includes(archText)) arch = archText as ClientArch;
  else {
    const platform = get('platform');
    const buildarch = get('buildarch');
    if (platform !== undefined) arch = archFromIpxe(platform, buildarch ?? '');
  }
  return {
    macGiven: rawMac !== undefined,
    ...(rawMac === undefined ? {} : { rawMac }),
    ...(mac === undefined ? {} : { mac }),
    ...(uuid === undefined ? {} : { uuid }),
    ...(hostname === undefined ? {} : { hostname }),
    ...(arch === undefined ? {} : { arch }),
  };
}
