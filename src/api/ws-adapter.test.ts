// console, vnc, vnc/screenshot and log through a real HTTP server and real websockets, with
// a fake guest: unix socket servers standing in for QEMU's serial and VNC sockets.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, get as httpGet } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { silentLogger } from '../lib/logger.ts';
import { KINDS } from '../resources/kinds.ts';
import { openTestStore } from '../store/test-fixture.ts';
import { bearerProtocol } from './auth.ts';
import type { GuestAccess } from './guest-access.ts';
import { createApiHandler } from './handler.ts';
import { nodeListener } from './node-adapter.ts';
import { MAX_WEBSOCKET_MESSAGE_BYTES, websocketUpgrades } from './ws-adapter.ts';

const TOKEN = 'sekret-token';
const VMI = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };
const BASE = '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachineinstances';

/** A unix socket server that records its clients and echoes uppercased bytes. */
async function fakeSocket(t: TestContext, path: string) {
  const clients: Socket[] = [];
  const server = createNetServer((s) => {
    clients.push(s);
    s.on('error', () => undefined);
    s.on('data', (b: Buffer) => s.write(Buffer.from(b.toString('latin1').toUpperCase(), 'latin1')));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => {
    for (const c of clients) c.destroy();
    server.close();
  });
  return { clients, open: () => clients.filter((c) => !c.destroyed && !c.readableEnded) };
}

async function setup(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-ws-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { store } = openTestStore(t);
  store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const serial = await fakeSocket(t, join(dir, 'serial.sock'));
  const vnc = await fakeSocket(t, join(dir, 'vnc.sock'));
  writeFileSync(join(dir, 'serial.log'), 'line 1\nline 2\nline 3\n');
  const guests: GuestAccess = {
    sockets: () => ({ serialSocket: join(dir, 'serial.sock'), vncSocket: join(dir, 'vnc.sock'), serialLog: join(dir, 'serial.log') }),
    screenshot: async () => Buffer.from('\x89PNG fake', 'latin1'),
  };
  const handler = createApiHandler({ store, kinds: KINDS, token: TOKEN, guests });
  const server = createHttpServer(nodeListener(handler, silentLogger));
  const upgrades = websocketUpgrades(handler, silentLogger);
  server.on('upgrade', upgrades.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    handler.closeSessions();
    upgrades.close();
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  const vmi = (name: string, phase: string, devices: Record<string, unknown> = {}) =>
    store.create(VMI, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: 'default' }, spec: { domain: { devices } }, status: { phase } });
  /** Opens a websocket; resolves with it, or with the refusal's status and body. */
  const open = (path: string, options: { protocols?: string[]; token?: string | null } = {}) =>
    new Promise<{ ws?: WebSocket; status?: number; body?: Record<string, unknown> }>((resolve, reject) => {
      const headers: Record<string, string> = options.token === null ? {} : { authorization: `Bearer ${options.token ?? TOKEN}` };
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, options.protocols ?? ['plain.kubevirt.io'], { headers });
      ws.once('open', () => resolve({ ws }));
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      });
      ws.on('error', (err) => {
        if (ws.readyState !== ws.CLOSED) reject(err);
      });
      t.after(() => ws.terminate());
    });
  const httpGetText = (path: string) =>
    new Promise<{ status: number; type: string; body: Buffer }>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
  return { vmi, open, httpGetText, serial, vnc };
}

const nextMessage = (ws: WebSocket) =>
  new Promise<{ data: Buffer; binary: boolean }>((resolve) => ws.once('message', (data, binary) => resolve({ data: data as Buffer, binary })));
const closed = (ws: WebSocket) => new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

test('the console carries raw bytes in binary frames both ways, ignores text frames, and selects plain.kubevirt.io', async (t) => {
  const { vmi, open } = await setup(t);
  vmi('a', 'Running');
  const { ws } = await open(`${BASE}/a/console`);
  assert.ok(ws);
  assert.equal(ws.protocol, 'plain.kubevirt.io');
  ws.send('ignored', { binary: false });
  ws.send(Buffer.from('hello\n'), { binary: true });
  const m = await nextMessage(ws);
  assert.equal(m.binary, true);
  assert.equal(m.data.toString(), 'HELLO\n');
});

test('a new console session closes the old one', async (t) => {
  const { vmi, open, serial } = await setup(t);
  vmi('a', 'Running');
  const first = (await open(`${BASE}/a/console`)).ws!;
  const firstClosed = closed(first);
  const second = (await open(`${BASE}/a/console`)).ws!;
  const c = await firstClosed;
  assert.equal(c.code, 1000);
  assert.match(c.reason, /another console session/);
  second.send(Buffer.from('x'), { binary: true });
  assert.equal((await nextMessage(second)).data.toString(), 'X');
  assert.equal(serial.open().length, 1, 'one client on the serial socket');
});

test('vnc with preserveSession=true refuses a second session with 503; without it takes over', async (t) => {
  const { vmi, open } = await setup(t);
  vmi('a', 'Running');
  const first = (await open(`${BASE}/a/vnc`)).ws!;
  const refused = await open(`${BASE}/a/vnc?preserveSession=true`);
  assert.equal(refused.status, 503);
  assert.equal(refused.body?.kind, 'Status');
  assert.equal(refused.body?.reason, 'ServiceUnavailable');
  const firstClosed = closed(first);
  const second = (await open(`${BASE}/a/vnc`)).ws!;
  assert.equal((await firstClosed).code, 1000);
  second.send(Buffer.from('rfb'), { binary: true });
  assert.equal((await nextMessage(second)).data.toString(), 'RFB');
});

test('console answers 400 "VMI is not running" before Running, 409 when finished, 404 when missing', async (t) => {
  const { vmi, open } = await setup(t);
  vmi('pending', 'Scheduled');
  vmi('done', 'Succeeded');
  vmi('failed', 'Failed');
  vmi('noserial', 'Running', { autoattachSerialConsole: false });
  vmi('novga', 'Running', { autoattachGraphicsDevice: false });
  const pending = await open(`${BASE}/pending/console`);
  assert.equal(pending.status, 400);
  assert.equal(pending.body?.message, 'VMI is not running');
  assert.equal(pending.body?.reason, 'BadRequest');
  assert.equal((await open(`${BASE}/done/console`)).status, 409);
  const failed = await open(`${BASE}/failed/vnc`);
  assert.equal(failed.status, 409);
  assert.match(String(failed.body?.message), /VMI is in failed status/);
  assert.equal((await open(`${BASE}/missing/console`)).status, 404);
  assert.equal((await open(`${BASE}/noserial/console`)).body?.message, 'No serial consoles are present.');
  assert.equal((await open(`${BASE}/novga/vnc`)).body?.message, 'No graphics devices are present.');
});

test('websockets authenticate with the bearer header or the base64url bearer subprotocol, nothing else', async (t) => {
  const { vmi, open } = await setup(t);
  vmi('a', 'Running');
  assert.equal((await open(`${BASE}/a/console`, { token: null })).status, 401);
  assert.equal((await open(`${BASE}/a/console`, { token: 'wrong' })).status, 401);
  const wrongProto = await open(`${BASE}/a/console`, { token: null, protocols: [bearerProtocol('wrong'), 'plain.kubevirt.io'] });
  assert.equal(wrongProto.status, 401);
  const { ws } = await open(`${BASE}/a/console`, { token: null, protocols: [bearerProtocol(TOKEN), 'plain.kubevirt.io'] });
  assert.ok(ws);
  assert.equal(ws.protocol, 'plain.kubevirt.io', 'the server never echoes the token protocol');
});

test('screenshot returns image/png, log returns the serial log (tail=N), a plain GET of console is refused', async (t) => {
  const { vmi, httpGetText } = await setup(t);
  vmi('a', 'Running');
  vmi('p', 'Pending');
  const shot = await httpGetText(`${BASE}/a/vnc/screenshot`);
  assert.equal(shot.status, 200);
  assert.equal(shot.type, 'image/png');
  assert.equal(shot.body.subarray(0, 4).toString('latin1'), '\x89PNG');
  assert.equal((await httpGetText(`${BASE}/p/vnc/screenshot`)).status, 400);
  const log = await httpGetText(`${BASE}/p/log?tail=2`);
  assert.equal(log.status, 200);
  assert.match(log.type, /^text\/plain/);
  assert.equal(log.body.toString(), 'line 2\nline 3\n');
  assert.equal((await httpGetText(`${BASE}/a/log`)).body.toString(), 'line 1\nline 2\nline 3\n');
  assert.equal((await httpGetText(`${BASE}/a/log?tail=x`)).status, 400);
  assert.equal((await httpGetText(`${BASE}/missing/log`)).status, 404);
  assert.equal((await httpGetText(`${BASE}/a/console`)).status, 400);
  assert.equal((await httpGetText('/apis/subresources.kubevirt.io/v1alpha3/namespaces/default/virtualmachineinstances/a/log?tail=1')).body.toString(), 'line 3\n');
});

test('a console message over the 1 MiB limit closes the connection with 1009 and never reaches the guest', async (t) => {
  const { vmi, open, serial } = await setup(t);
  vmi('a', 'Running');
  const { ws } = await open(`${BASE}/a/console`);
  assert.ok(ws);
  const received: number[] = [];
  for (const c of serial.clients) c.on('data', (b: Buffer) => received.push(b.length));
  const done = closed(ws);
  ws.send(Buffer.alloc(MAX_WEBSOCKET_MESSAGE_BYTES + 1, 0x61), { binary: true });
  assert.equal((await done).code, 1009);
  assert.equal(received.reduce((a, b) => a + b, 0), 0, 'no byte of the oversized message reached the serial socket');
});
