// The node:http `upgrade` listener: runs the API handler on a websocket request (auth,
// routing and checks happen there, as for any request), then either completes the
// handshake and joins the socket to the guest, or answers with the Status.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../lib/logger.ts';
import { toStatus } from './errors.ts';
import { MAX_PENDING_BYTES, isUpgrade, type ApiRequest, type ApiResponse, type ByteChannel } from './http-types.ts';
import { headersOf } from './node-adapter.ts';

type Handler = (req: ApiRequest) => ApiResponse;

/** Writes an HTTP error response on a socket that asked for an upgrade, then closes it. */
function refuse(socket: Duplex, response: ApiResponse): void {
  const text = typeof response.body === 'string' ? response.body : `${JSON.stringify(response.body)}\n`;
  const head = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? 'Error'}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(text)}`, 'Connection: close', '', ''];
  socket.end(head.join('\r\n') + text);
}

function statusResponse(err: unknown): ApiResponse {
  const status = toStatus(err);
  return { status: status.code, headers: { 'content-type': 'application/json' }, body: status };
}

const toBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));

/** Binary frames both ways; text frames are ignored (KubeVirt's plain.kubevirt.io). */
function channelOf(ws: WebSocket, maxPending: number): ByteChannel {
  return {
    send: (bytes) => {
      if (ws.readyState !== ws.OPEN) return;
      // A console or VNC reader this far behind is dropped rather than buffered for.
      if (ws.bufferedAmount > maxPending) {
        ws.terminate();
        return;
      }
      ws.send(bytes, { binary: true });
    },
    close: (code, reason) => {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, Buffer.from(reason ?? '').subarray(0, 123).toString());
    },
    onMessage: (listener) =>
      void ws.on('message', (data, isBinary) => {
        if (isBinary) listener(toBuffer(data));
      }),
    onClose: (listener) => void ws.on('close', listener),
  };
}

/** The largest websocket message a client may send (keystrokes and VNC input are far smaller). */
export const MAX_WEBSOCKET_MESSAGE_BYTES = 1024 * 1024;

export interface WebsocketUpgrades {
  /** For `server.on('upgrade', …)`. */
  listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Ends every open websocket (server shutdown). */
  close(): void;
}

/** Serves websocket upgrades through `handler`; a reader with more than `maxPendingBytes` unsent is dropped. */
export function websocketUpgrades(handler: Handler, log: Logger, options: { maxPendingBytes?: number } = {}): WebsocketUpgrades {
  const maxPending = options.maxPendingBytes ?? MAX_PENDING_BYTES;
  const chosen = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    // A client message larger than this closes the connection (1009) instead of being buffered.
    maxPayload: MAX_WEBSOCKET_MESSAGE_BYTES,
    handleProtocols: (offered, req) => {
      const want = chosen.get(req);
      return want !== undefined && offered.has(want) ? want : false;
    },
  });
  const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const aborted = new AbortController();
    socket.once('close', () => aborted.abort());
    let response: ApiResponse;
    try {
      response = handler({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: headersOf(req), signal: aborted.signal });
    } catch (err) {
      response = statusResponse(err);
    }
    const body = response.body;
    if (!isUpgrade(body)) {
      log.debug({ path: url.pathname, status: response.status }, 'websocket refused');
      refuse(socket, response.status >= 400 ? response : statusResponse(new Error(`${url.pathname} is not a websocket`)));
      return;
    }
    body.upgrade.connect().then(
      (target) => {
        if (aborted.signal.aborted) {
          target.abort();
          return;
        }
        let opened = false;
        socket.once('close', () => {
          if (!opened) target.abort();
        });
        chosen.set(req, body.upgrade.protocol);
        wss.handleUpgrade(req, socket, head, (ws) => {
          opened = true;
          ws.on('error', (err) => log.debug({ path: url.pathname, err: String(err) }, 'websocket error'));
          log.debug({ path: url.pathname }, 'websocket open');
          target.open(channelOf(ws, maxPending));
        });
      },
      (err: unknown) => {
        log.debug({ path: url.pathname, err: String(err) }, 'websocket refused');
        refuse(socket, statusResponse(err));
      },
    );
  };
  return {
    listener,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
