// What the REST client sends and gets back, whatever carries it: HTTPS (https-transport.ts) or
// the local daemon's unix socket (unix-transport.ts).

/** One request as it goes on the wire. */
export interface WireRequest {
  method: string;
  /** Path and query, already encoded. */
  target: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** A response whose head has arrived; its body is read by iterating it. */
export interface RestResponse extends AsyncIterable<Buffer> {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** Stops reading and closes the connection (a watch the caller is done with). */
  destroy(): void;
}

/** Carries requests to one server. */
export interface Transport {
  send(req: WireRequest): Promise<RestResponse>;
  /** Lets the process exit: closes idle connections. */
  close(): void;
}
