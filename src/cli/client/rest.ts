// A small Kubernetes REST client: JSON requests with the kubeconfig's CA and bearer token,
// error Status bodies thrown as ApiStatusError, and watch streams. It talks HTTPS, or to the
// local daemon over its unix socket when the kubeconfig names one the file system vouches for
// (local-socket.ts); a socket that cannot be connected to is given up for HTTPS.
import type { ClusterAccess } from './kubeconfig.ts';
import { ApiStatusError, ConnectionError, type ApiStatus } from './cli-errors.ts';
import { usableSocket } from './local-socket.ts';
import type { RestResponse, Transport } from './transport.ts';
import { SocketConnectError, SocketRequestError, unixTransport } from './unix-transport.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RestRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

/** One event of a watch stream. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

/** Builds `path?query` leaving out undefined values. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

/** The reason kubectl gives a bare HTTP error code with no Status body. */
function statusFromCode(code: number, text: string): ApiStatus {
  const reasons: Record<number, [string, string]> = {
    400: ['BadRequest', text || 'the server rejected our request for an unknown reason'],
    401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
    403: ['Forbidden', text || 'forbidden'],
    404: ['NotFound', 'the server could not find the requested resource'],
    405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
    409: ['Conflict', text || 'the server reported a conflict'],
    415: ['UnsupportedMediaType', 'the server responded with the status code 415 but did not return more information'],
    422: ['Invalid', text || 'the server rejected our request due to an error in our request'],
    429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
  };
  const [reason, message] = reasons[code] ?? ['InternalError', `an error on the server ("${text.slice(0, 200)}") has prevented the request from succeeding`];
  return { kind: 'Status', status: 'Failure', reason, message, code };
}

/** Talks JSON to one API server. */
export class RestClient {
  readonly access: ClusterAccess;
  private local: Transport | undefined;
  private remote: Transport | undefined;
  private readonly onWarning: (text: string) => void;

  constructor(access: ClusterAccess, options: { onWarning?: (text: string) => void; socket?: string } = {}) {
    this.access = access;
    this.onWarning = options.onWarning ?? (() => {});
    const socket = 'socket' in options ? options.socket : usableSocket(access);
    this.local = socket === undefined ? undefined : unixTransport(socket);
  }

  /** Whether requests go over the local daemon's unix socket (until it fails to connect). */
  get viaSocket(): boolean {
    return this.local !== undefined;
  }

  /** Sends one request; resolves with the parsed JSON body, throws ApiStatusError on 4xx/5xx. */
  async request<T = Record<string, unknown>>(req: RestRequest): Promise<T> {
    const res = await this.open(req);
    const text = await readAll(res);
    const code = res.statusCode ?? 0;
    if (code >= 400) throw errorFrom(code, text);
    if (text === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiStatusError(statusFromCode(500, text), code);
    }
  }

  /** Sends one request; resolves with the raw body (a PNG, text), throws ApiStatusError on 4xx/5xx. */
  async requestBytes(req: RestRequest): Promise<Buffer> {
    const res = await this.open(req);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const code = res.statusCode ?? 0;
    if (code >= 400) throw errorFrom(code, body.toString('utf8'));
    return body;
  }

  /** Opens a watch (`watch=1` is added) and yields its events until the server or `signal` ends it. */
  async *watch(req: RestRequest): AsyncGenerator<WatchEvent> {
    const res = await this.open({ ...req, query: { ...req.query, watch: 1 } });
    const code = res.statusCode ?? 0;
    if (code >= 400) throw errorFrom(code, await readAll(res));
    let buffered = '';
    try {
      for await (const chunk of res) {
        buffered += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) yield JSON.parse(line) as WatchEvent;
        }
      }
    } catch (err) {
      if (req.signal?.aborted) return;
      throw err;
    } finally {
      res.destroy();
    }
    if (buffered.trim()) yield JSON.parse(buffered) as WatchEvent;
  }

  /** Lets the process exit: closes idle keep-alive sockets. */
  close(): void {
    this.local?.close();
    this.remote?.close();
  }

  private async open(req: RestRequest): Promise<RestResponse> {
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const headers: Record<string, string> = {
      Accept: req.accept ?? 'application/json',
      'User-Agent': 'pxevirt-cli',
    };
    if (this.access.token) headers.Authorization = `Bearer ${this.access.token}`;
    if (body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const wire = { method: req.method ?? 'GET', target: withQuery(req.path, req.query), headers, ...(body !== undefined ? { body } : {}), ...(req.signal ? { signal: req.signal } : {}) };
    let res: RestResponse | undefined;
    if (this.local) {
      try {
        res = await this.local.send(wire);
      } catch (err) {
        // Nothing was sent when the socket could not be connected to: HTTPS from now on.
        if (!(err instanceof SocketConnectError)) throw err instanceof SocketRequestError ? new ConnectionError(this.access.server, 'ESOCKET', err) : err;
        this.local = undefined;
      }
    }
    if (!res) {
      // Loaded on first use: node:https is most of what a request costs to start (docs/benchmarks.md).
      this.remote ??= (await import('./https-transport.ts')).httpsTransport(this.access);
      res = await this.remote.send(wire);
    }
    for (const w of warnings(res.headers.warning)) this.onWarning(w);
    return res;
  }
}

/** The texts of `Warning: 299 - "text"` headers. */
export function warnings(header: string | string[] | undefined): string[] {
  if (!header) return [];
  const all = Array.isArray(header) ? header.join(', ') : header;
  return [...all.matchAll(/\d{3} [^ ]+ "((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));
}

/** The error for an HTTP error answer: its Status body, else one described from the code. */
export function errorFrom(code: number, text: string): ApiStatusError {
  try {
    const body = JSON.parse(text) as ApiStatus;
    if (body && body.kind === 'Status') return new ApiStatusError(body, code);
  } catch {
    // not JSON: described from the code alone
  }
  return new ApiStatusError(statusFromCode(code, text.trim()), code);
}

async function readAll(res: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
