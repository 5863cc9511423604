// The web UI's HTTP side, in front of the API on the same port: `/` sends browsers to
// `/ui/`, `/ui/login` signs in with the API token (an HttpOnly, Secure, SameSite=Strict
// cookie), and every other `/ui/` path — pages, scripts, the session — needs that cookie.
// The page then calls the API itself with `Authorization: Bearer`; the API knows nothing of cookies.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiRequest, ApiResponse } from '../api/http-types.ts';
import { loginPage } from './login-page.ts';
import { multiWatch } from './multi-watch.ts';
import { SESSION_COOKIE, cookieValue, sessionCookie, signSession, tokenMatches, verifySession } from './session.ts';

export interface WebOptions {
  /** The API's bearer token: the only credential the UI accepts. */
  token: string;
  /** The built UI (scripts/build-web.ts output); default `<repo>/build/web`. */
  assetsDir?: string;
  now?: () => number;
  /** The API handler, for `/ui/watch` (several watches in one response); without it that path is 404. */
  api?: (req: ApiRequest) => ApiResponse;
}

/** (request) → response for the UI's paths, undefined for everything else (the API's). */
export type WebHandler = (req: ApiRequest) => ApiResponse | undefined;

/** Where scripts/build-web.ts writes the UI. */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../build/web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const SECURITY_HEADERS: Record<string, string> = {
  // noVNC and xterm add <style> elements; websockets and fetches go to this origin only.
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // Not no-referrer: under it browsers send `Origin: null` on form posts, and sign-in checks Origin.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

interface Asset {
  type: string;
  body: string;
}

function respond(status: number, type: string, body: string, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': type, 'cache-control': 'no-store', ...SECURITY_HEADERS, ...headers }, body };
}

const redirect = (location: string, headers: Record<string, string> = {}): ApiResponse => respond(303, 'text/plain; charset=utf-8', `see ${location}\n`, { location, ...headers });

/** Reads the built UI (flat directory of text files); undefined while it is not built. */
function loadAssets(dir: string): Map<string, Asset> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { type, body: readFileSync(join(dir, name), 'utf8') });
  }
  return assets;
}

/** A login attempt's token from a form or JSON body. */
function presentedToken(req: ApiRequest): string {
  const text = req.body?.toString('utf8') ?? '';
  if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
    try {
      const parsed = JSON.parse(text) as { token?: unknown };
      return typeof parsed.token === 'string' ? parsed.token : '';
    } catch {
      return '';
    }
  }
  return new URLSearchParams(text).get('token') ?? '';
}

/** A cross-site POST (another origin's form) is refused; browsers always send Origin on POST. */
function crossSite(req: ApiRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/** Creates the UI's handler. */
export function createWebHandler(options: WebOptions): WebHandler {
  const now = options.now ?? Date.now;
  const dir = options.assetsDir ?? DEFAULT_ASSETS_DIR;
  let assets: Map<string, Asset> | undefined;
  const signedIn = (req: ApiRequest) => verifySession(options.token, cookieValue(req.headers.cookie, SESSION_COOKIE), now());

  return (req) => {
    const { path, method } = req;
    const get = method === 'GET' || method === 'HEAD';
    if (path === '/' && get && (req.headers.accept ?? '').includes('text/html')) return redirect('/ui/');
    if (path === '/ui') return redirect('/ui/');
    if (!path.startsWith('/ui/')) return undefined;
    const name = path.slice('/ui/'.length);

    if (name === 'login') {
      if (get) return respond(200, TYPES['.html']!, loginPage());
      if (method !== 'POST') return respond(405, 'text/plain; charset=utf-8', `${method} is not allowed on /ui/login: use GET or POST\n`);
      if (crossSite(req)) return respond(403, 'text/plain; charset=utf-8', `sign-in from another origin (${req.headers.origin}) is refused\n`);
      if (!tokenMatches(presentedToken(req), options.token)) return respond(401, TYPES['.html']!, loginPage('That token is not valid for this pxevirt.'));
      return redirect('/ui/', { 'set-cookie': sessionCookie(signSession(options.token, now())) });
    }
    if (name === 'logout' && method === 'POST') {
      if (crossSite(req)) return respond(403, 'text/plain; charset=utf-8', 'sign-out from another origin is refused\n');
      return redirect('/ui/login', { 'set-cookie': sessionCookie('') });
    }
    if (!signedIn(req)) {
      if (get && (name === '' || name === 'index.html')) return redirect('/ui/login');
      return respond(401, 'text/plain; charset=utf-8', 'Unauthorized: sign in at /ui/login\n');
    }
    if (!get) return respond(405, 'text/plain; charset=utf-8', `${method} is not allowed on ${path}\n`);
    if (name === 'session') return respond(200, 'application/json', `${JSON.stringify({ token: options.token })}\n`);
    if (name === 'watch' && options.api) return multiWatch(options.api, req);
    assets ??= loadAssets(dir);
    if (!assets) return respond(503, 'text/plain; charset=utf-8', `the web UI is not built (no ${join(dir, 'index.html')}): run \`make setup\` or \`node --import tsx scripts/build-web.ts\`\n`);
    const asset = assets.get(name === '' ? 'index.html' : name);
    if (!asset) return respond(404, 'text/plain; charset=utf-8', `no such page: ${path}\n`);
    return respond(200, asset.type, asset.body, asset.type.startsWith('text/html') ? {} : { 'cache-control': 'private, no-cache' });
  };
}

/** Puts the UI in front of an API handler: UI paths go to the UI, the rest to the API. */
export function withWebUi(api: (req: ApiRequest) => ApiResponse, options: WebOptions): (req: ApiRequest) => ApiResponse {
  const web = createWebHandler({ ...options, api });
  return (req) => web(req) ?? api(req);
}
