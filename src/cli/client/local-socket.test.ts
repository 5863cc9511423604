import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackServer, socketRefusal, usableSocket, type Lstat } from './local-socket.ts';

const SOCK = '/var/lib/pxevirt/api/api.sock';
const DIR = '/var/lib/pxevirt/api';
type Entry = { kind: 'socket' | 'dir' | 'link' | 'file'; uid: number; mode: number };
const fs = (entries: Record<string, Entry>): Lstat => (path) => {
  const e = entries[path];
  return e && { uid: e.uid, mode: e.mode, isSocket: () => e.kind === 'socket', isDirectory: () => e.kind === 'dir' };
};
const daemon = (over: Partial<Record<string, Entry>> = {}): Lstat =>
  fs({ [SOCK]: { kind: 'socket', uid: 0, mode: 0o140600 }, [DIR]: { kind: 'dir', uid: 0, mode: 0o40700 }, ...over } as Record<string, Entry>);
const access = { server: 'https://127.0.0.1:6443', socket: SOCK };

test('uses the socket of a root daemon on a loopback server', () => {
  assert.equal(usableSocket(access, 0, daemon()), SOCK);
  assert.equal(usableSocket(access, 1000, daemon()), SOCK, 'a root-owned socket is trusted by any user (who then needs the permission to connect)');
  assert.equal(usableSocket({ ...access, server: 'https://[::1]:6443' }, 0, daemon()), SOCK);
  assert.equal(usableSocket({ ...access, server: 'https://localhost:6443' }, 0, daemon()), SOCK);
});

test('uses HTTPS when the kubeconfig names no socket or a remote server', () => {
  assert.equal(usableSocket({ server: access.server }, 0, daemon()), undefined);
  assert.match(socketRefusal('https://10.0.0.5:6443', SOCK, 0, daemon()) ?? '', /not a loopback address/);
  assert.equal(isLoopbackServer('https://127.0.0.1.example.com:6443'), false);
  assert.equal(isLoopbackServer('not a url'), false);
});

test('never follows a symbolic link at the socket or its directory', () => {
  assert.match(socketRefusal(access.server, SOCK, 0, daemon({ [SOCK]: { kind: 'link', uid: 0, mode: 0o120777 } })) ?? '', /is not a socket/);
  assert.match(socketRefusal(access.server, SOCK, 0, daemon({ [DIR]: { kind: 'link', uid: 0, mode: 0o120777 } })) ?? '', /is not a directory/);
});

test('refuses a socket or directory another user owns, or a directory others may write', () => {
  assert.match(socketRefusal(access.server, SOCK, 1000, daemon({ [SOCK]: { kind: 'socket', uid: 1001, mode: 0o140600 } })) ?? '', /belongs to uid 1001, expected 0 or 1000/);
  assert.match(socketRefusal(access.server, SOCK, 1000, daemon({ [DIR]: { kind: 'dir', uid: 1001, mode: 0o40700 } })) ?? '', /belongs to uid 1001/);
  assert.match(socketRefusal(access.server, SOCK, 0, daemon({ [DIR]: { kind: 'dir', uid: 0, mode: 0o41777 } })) ?? '', /writable by others \(mode 777\)/);
  assert.match(socketRefusal(access.server, 'api.sock', 0, daemon()) ?? '', /not absolute/);
  assert.match(socketRefusal(access.server, SOCK, 0, fs({})) ?? '', /is not a socket/);
});
