import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RestClient, warnings, withQuery } from './rest.ts';
import { ApiStatusError, ConnectionError } from './cli-errors.ts';

test('withQuery leaves out unset values and encodes the rest', () => {
  assert.equal(withQuery('/api/v1/events', { fieldSelector: 'involvedObject.name=a,b', limit: 500, continue: undefined }), '/api/v1/events?fieldSelector=involvedObject.name%3Da%2Cb&limit=500');
  assert.equal(withQuery('/x', {}), '/x');
});

test('warnings reads the texts of Warning headers', () => {
  assert.deepEqual(warnings('299 - "kubevirt.io/v1alpha3 is now deprecated and will be removed in a future release."'), ['kubevirt.io/v1alpha3 is now deprecated and will be removed in a future release.']);
  assert.deepEqual(warnings(undefined), []);
});

test('sends the bearer token, parses JSON, turns a Status into ApiStatusError and streams watch events', async (t) => {
  const seen: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (req.url?.startsWith('/missing')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'NotFound', message: 'x "y" not found', code: 404 }));
    } else if (req.url?.includes('watch=1')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"ADDED","object":{"kind":"A"}}\n{"type":"MOD');
      res.end('IFIED","object":{"kind":"B"}}\n');
    } else {
      res.writeHead(200, { 'content-type': 'application/json', warning: '299 - "careful"' });
      res.end('{"ok":true}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const warned: string[] = [];
  const client = new RestClient({ path: 'k', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, namespace: 'default', token: 'tok' }, { onWarning: (w) => warned.push(w) });
  t.after(() => client.close());
  assert.deepEqual(await client.request({ path: '/ok' }), { ok: true });
  assert.deepEqual(warned, ['careful']);
  await assert.rejects(client.request({ path: '/missing' }), (e: unknown) => e instanceof ApiStatusError && e.status.reason === 'NotFound' && e.httpCode === 404);
  const types: string[] = [];
  for await (const ev of client.watch({ path: '/things' })) types.push(ev.type);
  assert.deepEqual(types, ['ADDED', 'MODIFIED']);
  assert.ok(seen.every((h) => h === 'Bearer tok'));
});

test('a refused connection is a ConnectionError with kubectl\'s wording', async () => {
  const client = new RestClient({ path: 'k', server: 'http://127.0.0.1:1', namespace: 'default' });
  await assert.rejects(client.request({ path: '/' }), (e: unknown) => e instanceof ConnectionError && /The connection to the server 127\.0\.0\.1:1 was refused/.test(e.message));
  client.close();
});
