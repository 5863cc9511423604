// The API on a unix socket beside the HTTPS port, for the CLI on the same host: no TLS handshake
// and no tls/https modules to load (docs/decisions.md, "The CLI over a unix socket"). The socket
// sits alone in `<dataDir>/api/`, a directory of mode 0700 owned by the daemon's user, and is
// itself 0600: only that user (root for /var/lib/pxevirt) can connect. Requests still carry the
// token and go through the same listener as HTTPS (same handler, auth, body limits, timeouts,
// connection cap): the socket adds a path, not a privilege.
import { chmodSync, lstatSync, mkdirSync, unlinkSync, type Stats } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import type { Logger } from '../lib/logger.ts';
import { ServerLimits, serverOptions } from '../api/node-adapter.ts';

/** The socket's directory and file under the data dir. */
export const apiSocketPath = (dataDir: string): string => join(dataDir, 'api', 'api.sock');

/** sun_path holds 108 bytes with its NUL: a longer path cannot be bound. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** The socket cannot be served: its directory is not the daemon's own, or another daemon listens there. */
export class LocalSocketError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'LocalSocketError';
    this.path = path;
  }
}

export interface LocalSocketOptions {
  dataDir: string;
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  log: Logger;
}

export interface LocalSocket {
  path: string;
  /** The listening server (its bounds are the HTTPS listener's: ServerLimits). */
  server: Server;
  /** Stops listening, drops connections, removes the socket file (when it is still this one). */
  close(): Promise<void>;
}

const lstatOrNone = (path: string): Stats | undefined => lstatSync(path, { throwIfNoEntry: false });

/** The directory, made or checked: a real directory (not a symlink) of this user, then 0700. */
function ownDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (!st.isDirectory()) throw new LocalSocketError(dir, `expected a directory, found ${st.isSymbolicLink() ? 'a symbolic link' : 'another kind of file'}`);
  if (st.uid !== uid) throw new LocalSocketError(dir, `expected a directory owned by uid ${uid}, found uid ${st.uid}`);
  chmodSync(dir, 0o700);
}

/** Whether something accepts connections on the socket path (a running daemon), else it is stale. */
function live(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Removes what a previous daemon left at the path; refuses when another daemon still listens. */
async function clearStale(path: string, log: Logger): Promise<void> {
  const st = lstatOrNone(path);
  if (!st) return;
  if (st.isDirectory()) throw new LocalSocketError(path, 'expected a socket or nothing, found a directory');
  if (st.isSocket() && (await live(path))) throw new LocalSocketError(path, 'another daemon is listening on this socket (same data dir?)');
  // unlink removes a symbolic link itself, never what it points to.
  if (!st.isSocket()) log.warn({ path }, 'removing a file that is not a socket where the API socket goes');
  unlinkSync(path);
}

/**
 * Serves `listener` on `<dataDir>/api/api.sock`. Undefined (and a warning) when the path is too
 * long for a unix socket: the CLI then uses HTTPS, as it does without the socket.
 */
export async function listenLocalSocket(options: LocalSocketOptions): Promise<LocalSocket | undefined> {
  const path = apiSocketPath(options.dataDir);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    options.log.warn({ path, maxBytes: MAX_SOCKET_PATH_BYTES }, 'data dir too long for the API socket; the CLI uses HTTPS');
    return undefined;
  }
  ownDirectory(join(path, '..'));
  await clearStale(path, options.log);
  const { handshakeTimeout: _tls, ...httpOptions } = serverOptions;
  const server = createServer(httpOptions, options.listener);
  server.maxConnections = ServerLimits.maxConnections;
  server.on('upgrade', options.upgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  // The directory is 0700 already; the file's own mode is a second lock.
  chmodSync(path, 0o600);
  const ino = lstatSync(path).ino;
  return {
    path,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        // A newer daemon's socket at the same path is left alone.
        if (lstatOrNone(path)?.ino === ino) unlinkSync(path);
      }),
  };
}
