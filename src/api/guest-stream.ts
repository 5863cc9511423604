// Joins a websocket to one of a guest's unix sockets (serial console, VNC) and keeps one
// session per guest and kind: a new session closes the one before it.
import { createConnection, type Socket } from 'node:net';
import type { ByteChannel } from './http-types.ts';

/** Websocket close code for a session another one replaced (1000: a normal close). */
export const CLOSE_NORMAL = 1000;
/** Websocket close code when the guest's end went away unexpectedly. */
export const CLOSE_GOING_AWAY = 1001;

interface Session {
  close(reason: string): void;
}

/** The open sessions, by `<uid>/<kind>`. */
export class GuestSessions {
  private readonly open = new Map<string, Session>();

  /** Whether a session is open for the key. */
  has(key: string): boolean {
    return this.open.has(key);
  }

  /** Closes the key's session, if any, saying why. */
  close(key: string, reason: string): void {
    this.open.get(key)?.close(reason);
  }

  /** Closes every session (server shutdown). */
  closeAll(reason: string): void {
    for (const s of [...this.open.values()]) s.close(reason);
  }

  /**
   * Joins `channel` and `socket` as the key's session, closing an earlier one with
   * `takeoverReason`. Either side closing closes the other.
   */
  join(key: string, socket: Socket, channel: ByteChannel, takeoverReason: string): void {
    this.close(key, takeoverReason);
    let ended = false;
    const end = (code: number, reason: string) => {
      if (ended) return;
      ended = true;
      if (this.open.get(key) === session) this.open.delete(key);
      socket.destroy();
      channel.close(code, reason);
    };
    const session: Session = { close: (reason) => end(CLOSE_NORMAL, reason) };
    this.open.set(key, session);
    socket.on('data', (bytes: Buffer) => channel.send(bytes));
    socket.on('close', () => end(CLOSE_GOING_AWAY, 'the guest closed the connection'));
    channel.onMessage((bytes) => {
      if (!ended) socket.write(bytes);
    });
    channel.onClose(() => end(CLOSE_NORMAL, ''));
  }
}

/** Connects to a unix socket; rejects with the system error (ENOENT, ECONNREFUSED …). */
export function connectUnix(path: string, timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection to ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      // An error before the session joins must not crash the server; 'close' follows it.
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
