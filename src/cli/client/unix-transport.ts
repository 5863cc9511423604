// Requests to the local daemon over its unix socket (src/daemon/local-socket.ts): HTTP/1.1
// written by hand on node:net, one connection per request, read by http1-response.ts. No TLS
// and no node:http on this path, which is most of what `pxevirt get` spends beyond Node's own
// start-up (docs/benchmarks.md). The only file of the CLI that imports node:net.
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { Http1ResponseParser, type ParseEvent } from './http1-response.ts';
import type { RestResponse, Transport, WireRequest } from './transport.ts';

/** The socket could not be connected to (missing, refused, no permission): nothing was sent. */
export class SocketConnectError extends Error {
  readonly path: string;
  readonly code: string;
  constructor(path: string, code: string, cause: unknown) {
    super(`cannot connect to the API socket ${path}: ${code}`, { cause });
    this.name = 'SocketConnectError';
    this.path = path;
    this.code = code;
  }
}

/** The connection failed after the request was sent (reset, cut short, malformed answer). */
export class SocketRequestError extends Error {
  readonly path: string;
  constructor(path: string, cause: unknown) {
    super(`the API socket ${path} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SocketRequestError';
    this.path = path;
  }
}

const HEADER_VALUE = /^[^\r\n\0]*$/;

/** The request's bytes: request line, headers (Host, Connection: close added), body. */
export function encodeRequest(req: WireRequest): string {
  // URL encodes what the path may not carry raw (spaces, control characters), as node:http does.
  const url = new URL(req.target, 'http://localhost');
  const lines = [`${req.method} ${url.pathname}${url.search} HTTP/1.1`, 'Host: localhost', 'Connection: close'];
  for (const [name, value] of Object.entries(req.headers)) {
    if (!/^[A-Za-z0-9-]+$/.test(name) || !HEADER_VALUE.test(value)) throw new TypeError(`header ${JSON.stringify(name)}: expected a token name and a value without CR, LF or NUL, found ${JSON.stringify(value.slice(0, 40))}`);
    lines.push(`${name}: ${value}`);
  }
  if (req.body !== undefined && req.headers['Content-Length'] === undefined) lines.push(`Content-Length: ${Buffer.byteLength(req.body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${req.body ?? ''}`;
}

const abortError = () => new DOMException('The operation was aborted', 'AbortError');

/** Sends one request on a new connection to `path`; resolves once the response's head arrived. */
export function unixRequest(path: string, req: WireRequest): Promise<RestResponse> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) return reject(abortError());
    const parser = new Http1ResponseParser({ noBody: req.method === 'HEAD' });
    const socket = connect(path);
    let connected = false;
    let body: Readable | undefined;
    const fail = (err: unknown) => {
      socket.destroy();
      if (body) body.destroy(err instanceof Error ? err : new Error(String(err)));
      else reject(err);
    };
    const onAbort = () => fail(abortError());
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const handle = (events: ParseEvent[]) => {
      for (const e of events) {
        if (e.type === 'head') {
          body = new Readable({ read: () => void socket.resume() });
          const stream = body;
          resolve({ statusCode: e.head.status, headers: e.head.headers, destroy: () => fail(abortError()), [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]() as AsyncIterator<Buffer> });
        } else if (e.type === 'body') {
          if (!body?.push(e.data)) socket.pause();
        } else {
          body?.push(null);
          req.signal?.removeEventListener('abort', onAbort);
          socket.destroy();
        }
      }
    };
    socket.once('connect', () => {
      connected = true;
      try {
        socket.write(encodeRequest(req));
      } catch (err) {
        fail(err);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        handle(parser.push(chunk));
      } catch (err) {
        fail(new SocketRequestError(path, err));
      }
    });
    socket.on('end', () => {
      try {
        handle(parser.finish());
      } catch (err) {
        fail(new SocketRequestError(path, err));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (req.signal?.aborted) return;
      fail(connected ? new SocketRequestError(path, err) : new SocketConnectError(path, err.code ?? 'UNKNOWN', err));
    });
  });
}

/** The transport to the socket at `path` (every request on its own connection). */
export function unixTransport(path: string): Transport {
  return { send: (req) => unixRequest(path, req), close: () => {} };
}
