// The API's transport-free request and response: handlers are (ApiRequest) → ApiResponse and
// are tested without sockets; node-adapter.ts is the one file that speaks node:http.

export interface ApiRequest {
  method: string;
  /** Path without the query string, e.g. `/api/v1/namespaces/default/events`. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** The raw body; undefined when none was sent. */
  body?: Buffer;
  /** Aborts when the client goes away (ends watches). */
  signal: AbortSignal;
  /** The client's address (the TCP peer), for per-client limits such as failed logins. */
  remoteAddress?: string;
}

/**
 * What a slow reader (a watch, a console or VNC websocket) may leave unread in the server's
 * buffers before it is dropped: the client relists or reconnects, the server never buffers
 * without end. 4 MiB is a few thousand watch events.
 */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/** A streamed body (watch): `start` writes chunks until it calls `end` or the signal aborts. */
export interface StreamBody {
  stream: (write: (chunk: string) => void, end: () => void, signal: AbortSignal) => void;
}

export interface ApiResponse {
  status: number;
  /** Extra headers; `warning` may repeat, so values are lists. */
  headers: Record<string, string | string[]>;
  body: unknown | StreamBody;
}

/** Whether a response body is streamed. */
export function isStream(body: unknown): body is StreamBody {
  return typeof body === 'object' && body !== null && typeof (body as StreamBody).stream === 'function';
}

/**
 * A body already serialised as JSON, UTF-8 (lists assembled from the stored objects' bytes):
 * its bytes are sent as they are. JSON.stringify of it gives the same value, so any code that
 * re-serialises a body still works.
 */
export class RawJson {
  /** The JSON and a newline after it (as JSON.stringify bodies are sent). */
  constructor(readonly bytes: Buffer) {}
  /** The JSON as a string (tests; the adapter sends the bytes). */
  get text(): string {
    return this.bytes.toString();
  }
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/**
 * `head`, then `items` joined by commas, then `tail`, in one buffer: a list response written as
 * one socket write (TLS cuts it into records in C++) after one copy of each item.
 */
export function joinJson(head: string, items: readonly Buffer[], tail: string): Buffer {
  let size = Buffer.byteLength(head) + Buffer.byteLength(tail) + Math.max(0, items.length - 1);
  for (const item of items) size += item.length;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(head);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ','
    at += items[i]!.copy(out, at);
  }
  out.write(tail, at);
  return out;
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string | string[]> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body };
}

/** A response produced later (screenshots, log reads): the adapter sends it when it resolves. */
export interface DeferredBody {
  deferred: Promise<ApiResponse>;
}

/** Whether a response body is deferred. */
export function isDeferred(body: unknown): body is DeferredBody {
  return typeof body === 'object' && body !== null && (body as DeferredBody).deferred instanceof Promise;
}

/** The far end of an upgraded connection: bytes both ways (binary websocket frames). */
export interface ByteChannel {
  send(bytes: Buffer): void;
  /** Closes the connection (websocket close code and reason). */
  close(code?: number, reason?: string): void;
  onMessage(listener: (bytes: Buffer) => void): void;
  onClose(listener: () => void): void;
}

/** What an accepted upgrade joins: `open` once the handshake is done, `abort` if it fails. */
export interface UpgradeTarget {
  open(channel: ByteChannel): void;
  abort(): void;
}

/**
 * A websocket upgrade (console, vnc): `connect` reaches the guest first and rejects (an
 * ApiError) to refuse the upgrade with a Status; its result is called with the open channel.
 */
export interface UpgradeBody {
  upgrade: {
    /** The subprotocol the server selects, e.g. `plain.kubevirt.io`. */
    protocol: string;
    connect(): Promise<UpgradeTarget>;
  };
}

/** Whether a response asks for a websocket upgrade. */
export function isUpgrade(body: unknown): body is UpgradeBody {
  return typeof body === 'object' && body !== null && typeof (body as UpgradeBody).upgrade?.connect === 'function';
}
