import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../lib/logger.ts';
import { ServerLimits } from '../api/node-adapter.ts';
import { apiSocketPath, listenLocalSocket, LocalSocketError, MAX_SOCKET_PATH_BYTES } from './local-socket.ts';

function dataDir(t: { after: (fn: () => unknown) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-sock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const options = (dir: string, log = memoryLogger()) => ({
  dataDir: dir,
  listener: (_req: unknown, res: { end(text: string): void }) => res.end('served'),
  upgrade: () => {},
  log,
});

/** GET / over the socket: the body, or the error's code. */
const get = (path: string) =>
  new Promise<string>((done) => {
    const req = request({ socketPath: path, path: '/' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => done(body));
    });
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'error'));
    req.end();
  });

test('serves on <data-dir>/api/api.sock, a 0600 socket in a 0700 directory, and removes it on close', async (t) => {
  const dir = dataDir(t);
  const sock = await listenLocalSocket(options(dir) as never);
  assert.ok(sock);
  assert.equal(sock.path, apiSocketPath(dir));
  assert.equal(lstatSync(join(dir, 'api')).mode & 0o777, 0o700);
  assert.equal(lstatSync(sock.path).mode & 0o777, 0o600);
  assert.equal(await get(sock.path), 'served');
  // Bounded like the HTTPS listener: connection cap, slowloris and whole-request timeouts.
  assert.equal(sock.server.maxConnections, ServerLimits.maxConnections);
  assert.equal(sock.server.headersTimeout, ServerLimits.headersTimeoutMs);
  assert.equal(sock.server.requestTimeout, ServerLimits.requestTimeoutMs);
  await sock.close();
  assert.equal(existsSync(sock.path), false);
});

test('replaces a stale socket a killed daemon left behind', async (t) => {
  const dir = dataDir(t);
  mkdirSync(join(dir, 'api'), { mode: 0o700 });
  // A process that bound the socket and was killed with SIGKILL: the file stays, nobody listens.
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(apiSocketPath(dir))}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  await once(child.stdout, 'data');
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.ok(lstatSync(apiSocketPath(dir)).isSocket());
  assert.equal(await get(apiSocketPath(dir)), 'ECONNREFUSED');
  const sock = await listenLocalSocket(options(dir) as never);
  t.after(() => sock?.close());
  assert.equal(await get(apiSocketPath(dir)), 'served');
});

test('refuses to take the socket of a daemon that still listens on the same data dir', async (t) => {
  const dir = dataDir(t);
  const first = await listenLocalSocket(options(dir) as never);
  t.after(() => first?.close());
  await assert.rejects(listenLocalSocket(options(dir) as never), (err: unknown) => err instanceof LocalSocketError && /another daemon is listening/.test(err.message));
  assert.equal(await get(apiSocketPath(dir)), 'served', 'the first daemon keeps its socket');
});

test('removes a symbolic link where the socket goes without touching its target', async (t) => {
  const dir = dataDir(t);
  mkdirSync(join(dir, 'api'), { mode: 0o700 });
  const target = join(dir, 'precious');
  writeFileSync(target, 'keep me');
  symlinkSync(target, apiSocketPath(dir));
  const log = memoryLogger();
  const sock = await listenLocalSocket(options(dir, log) as never);
  t.after(() => sock?.close());
  assert.equal(readFileSync(target, 'utf8'), 'keep me');
  assert.ok(lstatSync(apiSocketPath(dir)).isSocket());
  assert.ok(log.records.some((r) => r.msg === 'removing a file that is not a socket where the API socket goes'));
});

test('refuses an api directory that is a symbolic link (it would bind the socket elsewhere)', async (t) => {
  const dir = dataDir(t);
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere, { mode: 0o755 });
  symlinkSync(elsewhere, join(dir, 'api'));
  await assert.rejects(listenLocalSocket(options(dir) as never), (err: unknown) => err instanceof LocalSocketError && /expected a directory, found a symbolic link/.test(err.message));
  assert.equal(existsSync(join(elsewhere, 'api.sock')), false);
  assert.equal(lstatSync(elsewhere).mode & 0o777, 0o755, 'the link target keeps its mode');
});

test('a data dir too long for a unix socket gives no socket and a warning (the CLI uses HTTPS)', async (t) => {
  const dir = join(dataDir(t), 'x'.repeat(MAX_SOCKET_PATH_BYTES));
  const log = memoryLogger();
  assert.equal(await listenLocalSocket(options(dir, log) as never), undefined);
  assert.ok(log.records.some((r) => r.level === 'warn'));
});
