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
 * A body already serialised as JSON, UTF-8, in parts: `head`, the `items` joined by commas,
 * `tail` (a list: its envelope and the stored objects' bytes, shared with the store and never
 * copied into one buffer; the adapter writes them in chunks, json-chunks.ts). JSON.stringify
 * of it gives the same value, so any code that re-serialises a body still works.
 */
export class RawJson {
  readonly head: Buffer;
  readonly tail: Buffer;
  constructor(head: string, readonly items: readonly Buffer[], tail: string) {
    this.head = Buffer.from(head);
    this.tail = Buffer.from(tail);
  }
  /** The body's length in bytes. */
  get byteLength(): number {
    let size = this.head.length + this.tail.length + Math.max(0, this.items.length - 1);
    for (const item of this.items) size += item.length;
    return size;
  }
  /** The JSON as one string (tests and re-serialisation; the adapter writes the parts). */
  get text(): string {
    return Buffer.concat([this.head, ...this.items.flatMap((item, i) => (i > 0 ? [COMMA, item] : [item])), this.tail]).toString();
  }
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

const COMMA = Buffer.from(',');

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
