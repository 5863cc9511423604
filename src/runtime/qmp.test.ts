import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { QmpClient, QmpConnectionError, QmpError, type QmpEvent } from './qmp.ts';

interface FakeQemu {
  path: string;
  received: Array<Record<string, unknown>>;
  sockets: Socket[];
  send(line: unknown): void;
}

/** A unix-socket server speaking enough QMP: greeting, and replies chosen by `answer`. */
async function fakeQemu(t: TestContext, answer: (cmd: Record<string, unknown>, fake: FakeQemu) => unknown = () => ({ return: {} }), greet = true): Promise<FakeQemu> {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-qmp-'));
  const fake: FakeQemu = {
    path: join(dir, 'qmp.sock'),
    received: [],
    sockets: [],
    send(line) {
      for (const s of fake.sockets) s.write(`${JSON.stringify(line)}\r\n`);
    },
  };
  const server: Server = createServer((socket) => {
    fake.sockets.push(socket);
    socket.on('error', () => undefined);
    if (greet) socket.write(`${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: ['oob'] } })}\r\n`);
    let buf = '';
    socket.on('data', (chunk) => {
      buf += chunk.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const cmd = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        fake.received.push(cmd);
        const reply = answer(cmd, fake);
        if (reply !== undefined) socket.write(`${JSON.stringify({ ...(reply as object), id: cmd.id })}\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(fake.path, resolve));
  t.after(async () => {
    for (const s of fake.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });
  return fake;
}

test('negotiates capabilities, then returns command results', async (t) => {
  const fake = await fakeQemu(t, (cmd) => (cmd.execute === 'query-status' ? { return: { status: 'running', running: true } } : { return: {} }));
  const qmp = await QmpClient.connect(fake.path);
  t.after(() => qmp.close());
  assert.equal(fake.received[0]?.execute, 'qmp_capabilities');
  assert.deepEqual(await qmp.execute('query-status'), { status: 'running', running: true });
  await qmp.execute('system_powerdown', { force: false });
  assert.deepEqual(fake.received[2], { execute: 'system_powerdown', arguments: { force: false }, id: '3' });
});

test('an error reply rejects with QmpError carrying its class and description', async (t) => {
  const fake = await fakeQemu(t, (cmd) => (cmd.execute === 'nope' ? { error: { class: 'CommandNotFound', desc: "The command nope has not been found" } } : { return: {} }));
  const qmp = await QmpClient.connect(fake.path);
  t.after(() => qmp.close());
  await assert.rejects(qmp.execute('nope'), (err: unknown) => err instanceof QmpError && err.errorClass === 'CommandNotFound' && err.command === 'nope');
});

test('delivers events such as SHUTDOWN with their data', async (t) => {
  const fake = await fakeQemu(t);
  const qmp = await QmpClient.connect(fake.path);
  t.after(() => qmp.close());
  const got = new Promise<QmpEvent>((resolve) => qmp.onEvent(resolve));
  fake.send({ event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' }, timestamp: { seconds: 1, microseconds: 2 } });
  const event = await got;
  assert.equal(event.event, 'SHUTDOWN');
  assert.deepEqual(event.data, { guest: true, reason: 'guest-shutdown' });
});

test('pending commands fail when QEMU closes the socket, and closed resolves', async (t) => {
  const fake = await fakeQemu(t, (cmd, f) => {
    if (cmd.execute === 'quit') for (const s of f.sockets) s.destroy();
    return cmd.execute === 'quit' ? undefined : { return: {} };
  });
  const qmp = await QmpClient.connect(fake.path);
  await assert.rejects(qmp.execute('quit'), QmpConnectionError);
  await qmp.closed;
  await assert.rejects(qmp.execute('query-status'), QmpConnectionError);
});

test('a server that never greets times out with a connection error', async (t) => {
  const fake = await fakeQemu(t, () => undefined, false);
  await assert.rejects(QmpClient.connect(fake.path, { timeoutMs: 200 }), (err: unknown) => err instanceof QmpConnectionError && /timed out waiting for greeting/.test(err.message));
});

test('a command can be abandoned through its signal', async (t) => {
  const fake = await fakeQemu(t, (cmd) => (cmd.execute === 'slow' ? undefined : { return: {} }));
  const qmp = await QmpClient.connect(fake.path);
  t.after(() => qmp.close());
  await assert.rejects(qmp.execute('slow', undefined, { signal: AbortSignal.timeout(100) }), (err: unknown) => err instanceof QmpConnectionError && /timed out waiting for slow/.test(err.message));
});

test('a missing socket is a connection error naming the path', async () => {
  await assert.rejects(QmpClient.connect('/nonexistent/qmp.sock'), (err: unknown) => err instanceof QmpConnectionError && err.message.includes('/nonexistent/qmp.sock'));
});
