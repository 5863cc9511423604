// The PXE server's HTTP side: iPXE scripts and menus, kernels and initrds from the root,
// iPXE binaries for UEFI HTTP boot, /status and /metrics. One node:http server, keep-alive.
import { gapsByMac } from '../gaps.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../lib/logger.ts';
import { normalizeMac } from '../../lib/mac.ts';
import type { PxeServerSpec } from '../../resources/pxe-server.ts';
import type { PxeMetrics } from '../metrics.ts';
import type { Timeline } from '../timeline.ts';
import type { Transfers } from '../transfers.ts';
import type { InstallStore } from '../install-store.ts';
import type { RelayMemory } from '../relay-info.ts';
import { answerDone, serveTemplate, type InstallRouteContext } from './install-routes.ts';
import { ALLOWED_METHODS, DONE_METHODS, metricsKind, routeOf, type Route } from './routes.ts';
import { answerBoot, answerImage, answerMenu, type InstallHooks, type ScriptAnswer } from './scripts.ts';
import { sendText, serveFile, type FileServeContext } from './serve-file.ts';

export interface HttpOptions {
  spec: PxeServerSpec;
  /** Address to listen on. */
  address: string;
  /** 0 picks a free port. */
  port: number;
  /** How clients reach this server, for URLs in scripts; default http://<spec address>:<port>. */
  publicBase?: string;
  log: Logger;
  timeline: Timeline;
  metrics: PxeMetrics;
  transfers: Transfers;
  /** Extra /status fields (the DHCP leases). */
  status?: () => Record<string, unknown>;
  /** Per-host install state: doneURLs, `once`, templates' doneURL. */
  install: InstallStore;
  /** Option 82 IDs the DHCP side saw per MAC (selection by circuitId/remoteId). */
  relayMemory?: RelayMemory;
  /** Bounds on what clients hold open (default HTTP_LIMITS). */
  limits?: Partial<HttpLimits>;
}

/** What clients on the PXE network may hold open on the HTTP server (anything on the bridge may connect). */
export interface HttpLimits {
  /** Open connections; more are closed at accept. */
  maxConnections: number;
  /** Until the request's headers are complete (slowloris). */
  headersTimeoutMs: number;
  /** Until the whole request (headers and body) is in; never cuts a download. */
  requestTimeoutMs: number;
  /** A connection with nothing sent or received for this long (a stalled reader, an idle keep-alive) is closed. */
  idleTimeoutMs: number;
}

export const HTTP_LIMITS: HttpLimits = { maxConnections: 256, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, idleTimeoutMs: 60_000 };

export interface HttpBootServer {
  readonly port: number;
  /** The base URL written into scripts. */
  readonly publicBase: string;
  close(): Promise<void>;
}

/** Could not listen; names the address and port. */
export class HttpListenError extends Error {
  readonly address: string;
  readonly port: number;
  constructor(address: string, port: number, cause: Error) {
    super(`expected to listen for HTTP on ${address}:${port}, found ${(cause as NodeJS.ErrnoException).code ?? cause.message}`, { cause });
    this.name = 'HttpListenError';
    this.address = address;
    this.port = port;
  }
}

/** Starts the HTTP server and resolves once it listens. */
export async function startHttp(options: HttpOptions): Promise<HttpBootServer> {
  const { log } = options;
  let publicBase = options.publicBase?.replace(/\/+$/, '') ?? '';
  const files: FileServeContext = {
    roots: { root: options.spec.root, ipxeDir: options.spec.ipxeDir },
    log,
    timeline: options.timeline,
    metrics: options.metrics,
    transfers: options.transfers,
  };

  const limits = { ...HTTP_LIMITS, ...options.limits };
  // Header and request deadlines are checked every connectionsCheckingInterval (Node's 30 s is coarser than they are).
  const server = createServer({ headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs) }, (req, res) => {
    handle(options, files, publicBase, req, res).catch((err: unknown) => {
      options.metrics.errors.inc({ proto: 'http', kind: 'io' });
      log.error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) sendText(res, 500, `internal error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  });
  // iPXE fetches a script, then the kernel and initrds in a row: keep the connection for those.
  server.keepAliveTimeout = 15_000;
  server.maxConnections = limits.maxConnections;
  server.setTimeout(limits.idleTimeoutMs);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new HttpListenError(options.address, options.port, err));
    server.once('error', onError);
    server.listen({ host: options.address, port: options.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'http server error'));
  const port = (server.address() as AddressInfo).port;
  if (publicBase === '') {
    const host = options.address.includes(':') ? `[${options.address}]` : options.address;
    publicBase = port === 80 ? `http://${host}` : `http://${host}:${port}`;
  }

  let closing: Promise<void> | undefined;
  return {
    port,
    publicBase,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Downloads in progress end here; their streams record an error event.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** The /status document: the server, transfers in progress, per-MAC timelines and the extra fields (leases). */
export function statusDocument(options: Pick<HttpOptions, 'spec' | 'transfers' | 'timeline' | 'status' | 'install'>): Record<string, unknown> {
  const timelines = options.timeline.snapshot();
  return {
    server: { interface: options.spec.interface, address: options.spec.address, dhcpMode: options.spec.dhcp.mode },
    transfers: options.transfers.snapshot(),
    timelines,
    gaps: gapsByMac(timelines, 1000, Date.now()),
    hosts: options.install.hosts(),
    ...options.status?.(),
  };
}

async function handle(options: HttpOptions, files: FileServeContext, base: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = routeOf(req.url ?? '/');
  const kind = metricsKind(route);
  res.on('close', () => options.metrics.httpRequests.inc({ kind, code: String(res.statusCode) }));
  const ip = remoteIp(req);

  if (route.kind === 'not-found') return sendText(res, 404, `not found: ${route.path}\n`);
  if (route.kind === 'bad-request') return sendText(res, 400, `${route.message}\n`);
  const install: InstallRouteContext = { install: options.install, timeline: options.timeline, log: options.log, roots: files.roots, base };
  if (route.kind === 'done') {
    if ((DONE_METHODS as readonly string[]).includes(req.method ?? '')) return answerDone(install, req, res, route.token, ip);
    return sendText(res, 405, `method ${req.method ?? ''} not allowed on /done/…; expected ${DONE_METHODS.join(' or ')}\n`, { Allow: DONE_METHODS.join(', ') });
  }
  if (!(ALLOWED_METHODS as readonly string[]).includes(req.method ?? '')) {
    return sendText(res, 405, `method ${req.method ?? ''} not allowed on ${pathOf(route)}; expected ${ALLOWED_METHODS.join(' or ')}\n`, { Allow: ALLOWED_METHODS.join(', ') });
  }

  switch (route.kind) {
    case 'boot':
      return sendScript(options, req, res, ip, pathOf(route), answerBoot(options.spec, base, route.query, { ...hooks(options.install, ip), ...(options.relayMemory ? { relayOf: (mac: string) => options.relayMemory?.get(mac) } : {}) }));
    case 'menu':
      return sendScript(options, req, res, ip, pathOf(route), answerMenu(options.spec, base, route.query));
    case 'image':
      return sendScript(options, req, res, ip, pathOf(route), answerImage(options.spec, base, route.name, route.query, hooks(options.install, ip)));
    case 'file':
    case 'ipxe': {
      const mac = macFromQuery(route.query);
      const who = { ip, ...(mac === undefined ? {} : { mac }) };
      if (route.kind === 'file' && (await serveTemplate(install, req, res, route.path, who))) return;
      return serveFile(files, req, res, route.path, who);
    }
    case 'status': {
      const body = statusDocument(options);
      return sendBody(options, req, res, 200, 'application/json; charset=utf-8', `${JSON.stringify(body, null, 2)}\n`);
    }
    case 'metrics':
      return sendBody(options, req, res, 200, options.metrics.registry.contentType, await options.metrics.registry.metrics());
  }
}

function hooks(install: InstallStore, ip: string): InstallHooks {
  return { decide: (mac, once) => install.decide(mac, once), begin: (mac, image) => install.begin(mac, image), ip };
}

async function sendScript(options: HttpOptions, req: IncomingMessage, res: ServerResponse, ip: string, path: string, answer: ScriptAnswer): Promise<void> {
  const mac = answer.client.mac;
  if (answer.selection === 'local' && mac !== undefined) options.install.localBoot(mac);
  // The install state (a new done token, a local boot) is on disk before the client acts on the answer.
  await options.install.flush();
  // A script request is often the first time this server sees the client's address with
  // its MAC (proxy DHCP, or DHCP off): later file requests from that address get the MAC.
  if (mac !== undefined) options.timeline.noteAddress(mac, ip);
  options.timeline.record({
    proto: 'http',
    event: answer.selection === 'error' ? 'error' : answer.selection === 'local' ? 'local-boot' : 'script',
    ip,
    ...(mac === undefined ? {} : { mac }),
    path,
    status: answer.status,
    selection: answer.selection,
    ...(answer.image === undefined ? {} : { image: answer.image }),
    ...(answer.client.arch === undefined ? {} : { arch: answer.client.arch }),
    reason: answer.reason,
  });
  sendBody(options, req, res, answer.status, 'text/plain; charset=utf-8', answer.body);
}

function sendBody(options: HttpOptions, req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string): void {
  const length = Buffer.byteLength(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': length, 'Cache-Control': 'no-store' });
  if (req.method === 'HEAD') return void res.end();
  options.metrics.httpBytes.inc(length);
  res.end(body);
}

function macFromQuery(query: URLSearchParams): string | undefined {
  const raw = query.get('mac');
  return raw === null ? undefined : normalizeMac(raw);
}

function pathOf(route: Route): string {
  switch (route.kind) {
    case 'boot':
      return '/boot.ipxe';
    case 'menu':
      return '/menu.ipxe';
    case 'image':
      return `/image/${route.name}.ipxe`;
    case 'file':
      return `/files/${route.path}`;
    case 'ipxe':
      return `/${route.path}`;
    case 'status':
      return '/status';
    case 'metrics':
      return '/metrics';
    case 'done':
      return '/done/…';
    default:
      return route.path;
  }
}

function remoteIp(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
