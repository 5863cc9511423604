// The one file that speaks node:http: reads a request (body capped at the API's limit),
// calls the handler, and writes the response (JSON, or a chunked stream for watches).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger.ts';
import { MAX_BODY_BYTES, tooLarge } from './body.ts';
import { ChunkPool, JsonChunker } from './json-chunks.ts';
import { ApiError, Reason, toStatus } from './errors.ts';
import { memoForTurn } from '../lib/turn-memo.ts';
import { MAX_PENDING_BYTES, RawJson, isDeferred, isStream, isUpgrade, type ApiRequest, type ApiResponse } from './http-types.ts';

type Handler = (req: ApiRequest) => ApiResponse;

/**
 * The bytes of body a request may send, decided from its headers alone (before any is read):
 * MAX_BODY_BYTES for the token holder, 0 for anyone else (the handler then answers 401 without
 * the body, and the connection is closed so its unread bytes are never buffered).
 */
export type BodyLimit = (headers: Record<string, string | undefined>, path: string) => number;

/** The connection bounds of the API's server (docs/security.md, "API limits"). */
export const ServerLimits = {
  /** Open connections at once; more are refused at accept. */
  maxConnections: 512,
  /** A TLS handshake must finish within this. */
  handshakeTimeoutMs: 10_000,
  /** A request's headers must arrive within this (slowloris). */
  headersTimeoutMs: 10_000,
  /** A whole request, body included, must arrive within this. */
  requestTimeoutMs: 60_000,
  /** How often the timeouts above are checked. */
  checkIntervalMs: 1_000,
} as const;

/** Options for node:https `createServer` that bound slow clients. */
export const serverOptions = {
  handshakeTimeout: ServerLimits.handshakeTimeoutMs,
  headersTimeout: ServerLimits.headersTimeoutMs,
  requestTimeout: ServerLimits.requestTimeoutMs,
  connectionsCheckingInterval: ServerLimits.checkIntervalMs,
} as const;

const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/** How long a refused request's unread body is drained (and dropped) before the socket is destroyed. */
const DRAIN_MS = 2_000;

/**
 * Ends a connection whose body was refused unread the way Go's net/http does: half-close after
 * the response, drop what still arrives, destroy after DRAIN_MS. node:http would destroy the
 * socket as soon as the response is written, and closing with unread bytes sends a reset that
 * loses the response in the client's kernel buffer, hence the replaced destroySoon.
 */
function closeUnread(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket as IncomingMessage['socket'] & { destroySoon?: () => void };
  res.setHeader('connection', 'close');
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), DRAIN_MS).unref();
  };
  req.resume();
}

/** Reads the body; rejects with 413 past `limit` (checked on the declared length first). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A request's headers as single strings (repeated ones joined), names in lower case. */
export function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export interface NodeListenerOptions {
  /** The body limit for a request from its headers and path (0: answer from the headers, read nothing). */
  bodyLimit?: BodyLimit;
  /** Bytes a streamed response (watch) may have unsent before the connection is dropped (default MAX_PENDING_BYTES). */
  maxPendingBytes?: number;
}

/**
 * Whether a streamed response's chunks may go to its socket directly, already framed: it is
 * chunked, and its headers have reached the socket (node:http queues a response's output (headers included) in
 * `outputData` while an earlier response on the connection is unfinished: pipelining).
 */
function headersOnSocket(res: ServerResponse): boolean {
  const internal = res as unknown as { outputData?: unknown[]; chunkedEncoding?: boolean };
  // An HTTP/1.0 client gets no chunked encoding: its body is the bytes until the close.
  return internal.chunkedEncoding === true && res.headersSent && Array.isArray(internal.outputData) && internal.outputData.length === 0;
}

/** A stream chunk framed as one HTTP/1.1 chunk (`<hex length>\r\n<bytes>\r\n`), in one buffer. */
export function frameChunk(chunk: string): Buffer {
  const bytes = Buffer.byteLength(chunk);
  const head = `${bytes.toString(16)}\r\n`;
  const frame = Buffer.allocUnsafe(head.length + bytes + 2);
  frame.write(head, 0, 'latin1');
  frame.write(chunk, head.length, 'utf8');
  frame.write('\r\n', head.length + bytes, 'latin1');
  return frame;
}

/** The framer of one server: the watchers of one change write the same string, framed once for all of them. */
type Framer = (chunk: string) => Buffer;

function send(res: ServerResponse, response: ApiResponse, head: boolean, maxPending: number, pool: ChunkPool, framer: Framer): void {
  const body = response.body;
  if (isDeferred(body)) {
    body.deferred.then(
      (later) => send(res, later, head, maxPending, pool, framer),
      (err: unknown) => {
        const status = toStatus(err);
        send(res, { status: status.code, headers: { 'content-type': 'application/json' }, body: status }, head, maxPending, pool, framer);
      },
    );
    return;
  }
  if (isUpgrade(body)) {
    // console and vnc are websockets; a plain request reaches them only by mistake.
    const status = toStatus(new ApiError(400, Reason.BadRequest, 'this subresource is a websocket: send the request with "Upgrade: websocket"'));
    send(res, { status: status.code, headers: { 'content-type': 'application/json' }, body: status }, head, maxPending, pool, framer);
    return;
  }
  for (const [k, v] of Object.entries(response.headers)) res.setHeader(k, v);
  res.statusCode = response.status;
  if (isStream(body)) {
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    res.setHeader('cache-control', 'no-cache, private');
    res.flushHeaders();
    body.stream(
      (chunk) => {
        if (res.writableEnded || res.destroyed || chunk === '') return;
        // A reader this far behind is dropped rather than buffered for: it relists.
        if (res.writableLength > maxPending) {
          res.destroy();
          return;
        }
        // The chunk, framed, goes to the socket as one buffer: one TLS record and one syscall,
        // no copy of it per watcher (the watchers of a change share the frame). Through
        // node:http only while the headers are still queued behind an earlier response.
        const socket = res.socket;
        if (socket && headersOnSocket(res)) socket.write(framer(chunk));
        else res.write(chunk);
      },
      () => {
        if (!res.writableEnded) res.end();
      },
      closed.signal,
    );
    return;
  }
  if (body instanceof RawJson) {
    res.setHeader('content-length', body.byteLength);
    if (head) res.end();
    else writeChunks(res, new JsonChunker(body), pool);
    return;
  }
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : `${JSON.stringify(body)}\n`;
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(head ? undefined : text);
}

/** Writes `chunker`'s chunks, each once the socket has taken the one before (its backpressure), then ends. */
function writeChunks(res: ServerResponse, chunker: JsonChunker, pool: ChunkPool): void {
  const pump = (): void => {
    while (!res.destroyed) {
      const buffer = pool.take();
      const chunk = chunker.next(buffer);
      if (chunk === undefined) {
        pool.give(buffer);
        res.end();
        return;
      }
      // The buffer is reused once written (or failed); a part written as it is frees it at once.
      const copied = chunk.buffer === buffer.buffer;
      if (!copied) pool.give(buffer);
      if (!res.write(chunk, copied ? () => pool.give(buffer) : undefined)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

/** A node:http(s) request listener serving `handler`. */
export function nodeListener(handler: Handler, log: Logger, options: NodeListenerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const maxPending = options.maxPendingBytes ?? MAX_PENDING_BYTES;
  const pool = new ChunkPool();
  const framer = memoForTurn(frameChunk);
  return (req, res) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const done = (response: ApiResponse) => {
      send(res, response, req.method === 'HEAD', maxPending, pool, framer);
      log.debug({ method: req.method, path: url.pathname, query: url.search, status: response.status, ms: Date.now() - started }, 'request');
    };
    const limit = options.bodyLimit ? options.bodyLimit(headersOf(req), url.pathname) : MAX_BODY_BYTES;
    const unread = hasBody(req) && limit === 0;
    if (unread || (hasBody(req) && Number(req.headers['content-length'] ?? '0') > limit)) {
      // Answer without reading the body, and close: the rest of it is never buffered.
      closeUnread(req, res);
    }
    (unread ? Promise.resolve(Buffer.alloc(0)) : readBody(req, limit)).then(
      (body) => {
        const aborted = new AbortController();
        // Only a client that left before the response was complete: an abort makes a
        // DOMException (with its stack), too dear to pay once per finished request.
        res.on('close', () => {
          if (!res.writableFinished) aborted.abort();
        });
        let response: ApiResponse;
        try {
          response = handler({
            method: req.method ?? 'GET',
            path: url.pathname,
            query: url.searchParams,
            headers: headersOf(req),
            ...(body.length > 0 ? { body } : {}),
            signal: aborted.signal,
            ...(req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {}),
          });
        } catch (err) {
          const status = toStatus(err);
          response = { status: status.code, headers: { 'content-type': 'application/json' }, body: status };
        }
        done(response);
      },
      (err: unknown) => {
        const status = toStatus(err);
        if (!res.headersSent) closeUnread(req, res);
        done({ status: status.code, headers: { 'content-type': 'application/json' }, body: status });
      },
    );
  };
}
