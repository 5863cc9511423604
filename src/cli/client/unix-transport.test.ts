import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRequest, SocketConnectError, SocketRequestError, unixRequest } from './unix-transport.ts';

/** A node:http server on a unix socket in a temp dir, closed after the test. */
async function serve(t: { after: (fn: () => unknown) => void }, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-unix-'));
  const path = join(dir, 's.sock');
  const server = createServer(handler);
  await new Promise<void>((ok) => server.listen(path, ok));
  t.after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return path;
}

const text = async (body: AsyncIterable<Buffer>) => {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks).toString();
};

test('sends method, encoded target, headers and body; reads status, headers and body back', async (t) => {
  let seen: { method?: string; url?: string; auth?: string; body?: string } = {};
  const path = await serve(t, (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization ?? '', body };
      res.setHeader('warning', '299 - "careful"');
      res.end('{"ok":true}');
    });
  });
  const res = await unixRequest(path, { method: 'POST', target: '/api/v1/namespaces/default/a b?x=1', headers: { Authorization: 'Bearer t0k', 'Content-Type': 'application/json' }, body: '{"é":1}' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers.warning, '299 - "careful"');
  assert.equal(await text(res), '{"ok":true}');
  assert.deepEqual(seen, { method: 'POST', url: '/api/v1/namespaces/default/a%20b?x=1', auth: 'Bearer t0k', body: '{"é":1}' });
});

test('streams a chunked response chunk by chunk (a watch) until the caller stops', async (t) => {
  const path = await serve(t, (_req, res) => {
    res.write('{"type":"ADDED"}\n');
  });
  const res = await unixRequest(path, { method: 'GET', target: '/watch', headers: {} });
  const it = res[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.toString(), '{"type":"ADDED"}\n');
  res.destroy();
});

test('an abort signal ends the request with an AbortError', async (t) => {
  const path = await serve(t, () => {});
  const controller = new AbortController();
  const pending = unixRequest(path, { method: 'GET', target: '/', headers: {}, signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, { name: 'AbortError' });
});

test('a missing socket is a SocketConnectError (nothing sent); a malformed answer a SocketRequestError', async (t) => {
  await assert.rejects(unixRequest('/nonexistent/pxevirt.sock', { method: 'GET', target: '/', headers: {} }), (err: unknown) => err instanceof SocketConnectError && err.code === 'ENOENT');
  const path = await serve(t, (req) => req.socket.end('SSH-2.0-x\r\n\r\n'));
  await assert.rejects(unixRequest(path, { method: 'GET', target: '/', headers: {} }), (err: unknown) => err instanceof SocketRequestError && /expected a status line/.test(err.message));
});

test('refuses a header value that would split the request', () => {
  assert.throws(() => encodeRequest({ method: 'GET', target: '/', headers: { Authorization: 'Bearer x\r\nX-Evil: 1' } }), /without CR, LF or NUL/);
});
