import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../lib/logger.ts';
import { download, DownloadError } from './download.ts';

/** A loopback server: /ok answers "hello", /slow sends a first chunk and never finishes. */
async function server(t: { after(fn: () => unknown): void }): Promise<{ url: string; slowStarted: Promise<void> }> {
  const open = new Set<ServerResponse>();
  let started!: () => void;
  const slowStarted = new Promise<void>((resolve) => (started = resolve));
  const s = createServer((req, res) => {
    if (req.url === '/ok') return res.end('hello');
    open.add(res);
    res.writeHead(200, { 'content-length': '1000000' });
    res.write('x');
    started();
  });
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  t.after(() => new Promise<void>((done) => (open.forEach((r) => r.destroy()), s.close(() => done()), s.closeAllConnections())));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, slowStarted };
}

async function dir(t: { after(fn: () => unknown): void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'pxv-dl-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

test('downloads a file to its place', async (t) => {
  const { url } = await server(t);
  const to = join(await dir(t), 'a', 'file');
  await download(`${url}/ok`, to, { log: silentLogger });
  assert.equal(await readFile(to, 'utf8'), 'hello');
});

test('the caller aborting ends a download that never finishes at once, leaving no file', async (t) => {
  const { url, slowStarted } = await server(t);
  const to = join(await dir(t), 'file');
  const aborter = new AbortController();
  const downloading = download(`${url}/slow`, to, { log: silentLogger, signal: aborter.signal });
  await slowStarted;
  const t0 = Date.now();
  aborter.abort();
  await assert.rejects(downloading, (e: unknown) => e instanceof DownloadError && /aborted \(the daemon is stopping\)/.test(e.message));
  // Far below the stall timeout (minutes) it would otherwise wait for, with room for a loaded machine.
  assert.ok(Date.now() - t0 < 10_000, 'ended at once, not at a timeout');
  assert.equal(existsSync(to), false);
  assert.equal(existsSync(`${to}.part`), false);
});

test('a download past its deadline fails saying so', async (t) => {
  const { url } = await server(t);
  const to = join(await dir(t), 'file');
  await assert.rejects(download(`${url}/slow`, to, { log: silentLogger, timeoutMs: 200 }), /cannot download .*: no complete answer within 200 ms/);
});
