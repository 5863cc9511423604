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
}

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

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string | string[]> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body };
}
