// Whether the CLI may talk to the daemon over the unix socket its kubeconfig names (the
// `pxevirt.io/socket` cluster extension `pxevirt up` writes) instead of HTTPS. Over HTTPS the
// daemon proves itself with its certificate; over the socket the file system must: the socket
// and its directory belong to root or to this user, the directory is writable by its owner alone,
// and neither is a symbolic link. Only then is the token sent there. Otherwise HTTPS, unchanged.
import { lstatSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

/** lstat (never follows a link); undefined when the path does not exist or cannot be read. */
export type Lstat = (path: string) => Pick<Stats, 'uid' | 'mode' | 'isSocket' | 'isDirectory'> | undefined;

const defaultLstat: Lstat = (path) => {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
};

/** Whether the URL's host is this machine's loopback (the daemon the kubeconfig names runs here). */
export function isLoopbackServer(server: string): boolean {
  let host: string;
  try {
    host = new URL(server).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** Why the socket is not used (for --v style diagnostics and tests), or undefined when it may be. */
export function socketRefusal(server: string, socket: string, uid: number, lstat: Lstat = defaultLstat): string | undefined {
  if (!isLoopbackServer(server)) return `server ${server} is not a loopback address`;
  if (!socket.startsWith('/')) return `socket path ${JSON.stringify(socket)} is not absolute`;
  const trusted = (owner: number) => owner === 0 || owner === uid;
  const st = lstat(socket);
  if (!st?.isSocket()) return `${socket} is not a socket`;
  if (!trusted(st.uid)) return `${socket} belongs to uid ${st.uid}, expected 0 or ${uid}`;
  const dir = dirname(socket);
  const d = lstat(dir);
  if (!d?.isDirectory()) return `${dir} is not a directory`;
  if (!trusted(d.uid)) return `${dir} belongs to uid ${d.uid}, expected 0 or ${uid}`;
  if ((d.mode & 0o022) !== 0) return `${dir} is writable by others (mode ${(d.mode & 0o777).toString(8)})`;
  return undefined;
}

/** The socket path to use for `access`, or undefined for HTTPS. */
export function usableSocket(access: { server: string; socket?: string }, uid: number = process.getuid?.() ?? 0, lstat: Lstat = defaultLstat): string | undefined {
  if (access.socket === undefined) return undefined;
  return socketRefusal(access.server, access.socket, uid, lstat) === undefined ? access.socket : undefined;
}
