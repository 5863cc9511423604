import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiRequest, ApiResponse } from '../api/http-types.ts';
import { createWebHandler, withWebUi } from './web-handler.ts';

const TOKEN = 'secret-token';

function assetsDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-web-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>pxevirt</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  return dir;
}

function req(method: string, path: string, headers: Record<string, string> = {}, body?: string): ApiRequest {
  return { method, path, query: new URLSearchParams(), headers: { host: 'localhost:6443', ...headers }, ...(body === undefined ? {} : { body: Buffer.from(body) }), signal: new AbortController().signal };
}

const header = (r: ApiResponse | undefined, name: string) => r?.headers[name];

function signIn(web: ReturnType<typeof createWebHandler>): string {
  const r = web(req('POST', '/ui/login', { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://localhost:6443' }, `token=${TOKEN}`));
  assert.equal(r?.status, 303);
  const cookie = String(header(r, 'set-cookie'));
  return cookie.split(';')[0]!;
}

test('refuses every UI path but the sign-in page without a session', (t) => {
  const web = createWebHandler({ token: TOKEN, assetsDir: assetsDir(t) });
  assert.equal(web(req('GET', '/ui/'))?.status, 303);
  assert.equal(header(web(req('GET', '/ui/')), 'location'), '/ui/login');
  for (const path of ['/ui/app.js', '/ui/session', '/ui/index.html.map', '/ui/nope']) {
    const r = web(req('GET', path));
    assert.equal(r?.status, 401, path);
    assert.doesNotMatch(String(r?.body), /console\.log|secret-token/);
  }
  const login = web(req('GET', '/ui/login'));
  assert.equal(login?.status, 200);
  assert.match(String(login?.body), /<form method="post" action="\/ui\/login">/);
});

test('signs in with the token and then serves pages and the session token', (t) => {
  const web = createWebHandler({ token: TOKEN, assetsDir: assetsDir(t) });
  const cookie = signIn(web);
  const page = web(req('GET', '/ui/', { cookie }));
  assert.equal(page?.status, 200);
  assert.match(String(page?.body), /<title>pxevirt<\/title>/);
  assert.match(String(header(page, 'content-security-policy')), /default-src 'self'/);
  assert.equal(web(req('GET', '/ui/app.js', { cookie }))?.body, 'console.log(1)');
  assert.equal(web(req('GET', '/ui/missing.js', { cookie }))?.status, 404);
  assert.deepEqual(JSON.parse(String(web(req('GET', '/ui/session', { cookie }))?.body)), { token: TOKEN });
});

test('refuses a wrong token, a cross-origin sign-in and a forged cookie', (t) => {
  const web = createWebHandler({ token: TOKEN, assetsDir: assetsDir(t) });
  const wrong = web(req('POST', '/ui/login', { 'content-type': 'application/x-www-form-urlencoded' }, 'token=guess'));
  assert.equal(wrong?.status, 401);
  assert.match(String(wrong?.body), /not valid/);
  assert.equal(header(wrong, 'set-cookie'), undefined);
  const cross = web(req('POST', '/ui/login', { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, `token=${TOKEN}`));
  assert.equal(cross?.status, 403);
  const other = createWebHandler({ token: 'another-token', assetsDir: assetsDir(t) });
  assert.equal(other(req('GET', '/ui/session', { cookie: signIn(web) }))?.status, 401);
});

test('accepts a JSON sign-in and signs out by clearing the cookie', (t) => {
  const web = createWebHandler({ token: TOKEN, assetsDir: assetsDir(t) });
  const r = web(req('POST', '/ui/login', { 'content-type': 'application/json' }, JSON.stringify({ token: TOKEN })));
  assert.equal(r?.status, 303);
  const out = web(req('POST', '/ui/logout', { cookie: String(header(r, 'set-cookie')).split(';')[0]! }));
  assert.equal(out?.status, 303);
  assert.match(String(header(out, 'set-cookie')), /pxevirt-session=;.*Max-Age=0/);
});

test('says how to build the UI when it is not built', (t) => {
  const web = createWebHandler({ token: TOKEN, assetsDir: join(assetsDir(t), 'absent') });
  const r = web(req('GET', '/ui/', { cookie: signIn(web) }));
  assert.equal(r?.status, 503);
  assert.match(String(r?.body), /make setup/);
});

test('leaves API paths to the API and sends browsers at / to the UI', (t) => {
  const api = (r: ApiRequest): ApiResponse => ({ status: 200, headers: {}, body: { api: r.path } });
  const handler = withWebUi(api, { token: TOKEN, assetsDir: assetsDir(t) });
  assert.deepEqual(handler(req('GET', '/api/v1/namespaces')).body, { api: '/api/v1/namespaces' });
  assert.deepEqual(handler(req('GET', '/')).body, { api: '/' });
  const browser = handler(req('GET', '/', { accept: 'text/html,application/xhtml+xml' }));
  assert.equal(browser.status, 303);
  assert.equal(browser.headers.location, '/ui/');
});
