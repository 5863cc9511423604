// `pxevirt console` against a real API server (HTTP, in process) and a fake guest socket:
// waiting while the VMI is not running, raw mode on and off, Ctrl+] and takeover.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createApiHandler } from '../../api/handler.ts';
import { nodeListener } from '../../api/node-adapter.ts';
import { websocketUpgrades } from '../../api/ws-adapter.ts';
import { silentLogger } from '../../lib/logger.ts';
import { KINDS } from '../../resources/kinds.ts';
import { openTestStore } from '../../store/test-fixture.ts';
import { Discovery } from '../client/discovery.ts';
import { RestClient } from '../client/rest.ts';
import { openWebSocket, vmiSubresourcePath } from '../client/websocket.ts';
import { consoleVerb, ConsoleTimeoutError } from './console.ts';
import type { Session } from './session.ts';

const VMI = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };

async function setup(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-console-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const guestInput: string[] = [];
  const clients: Socket[] = [];
  let guestClosed = 0;
  const guest = createNetServer((s) => {
    clients.push(s);
    s.on('close', () => void guestClosed++);
    s.on('error', () => undefined);
    s.write('login banner\r\n');
    s.on('data', (b: Buffer) => guestInput.push(b.toString('latin1')));
  });
  await new Promise<void>((resolve) => guest.listen(join(dir, 'serial.sock'), resolve));
  const { store } = openTestStore(t);
  store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const handler = createApiHandler({
    store,
    kinds: KINDS,
    token: 'tok',
    guests: { sockets: () => ({ serialSocket: join(dir, 'serial.sock'), vncSocket: join(dir, 'vnc.sock'), serialLog: join(dir, 'serial.log') }), screenshot: () => Promise.reject(new Error('none')) },
  });
  const server = createHttpServer(nodeListener(handler, silentLogger));
  const upgrades = websocketUpgrades(handler, silentLogger);
  server.on('upgrade', upgrades.listener);
  // Console connection attempts (each refused one is answered 400 and retried after a second).
  const attempts: string[] = [];
  server.on('upgrade', (req: { url?: string }) => void attempts.push(req.url ?? ''));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const access = { path: '', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'tok', namespace: 'default' };
  const client = new RestClient(access);
  const errors: string[] = [];
  const session: Session = {
    access,
    client,
    discovery: new Discovery((path) => client.request({ path })),
    namespace: 'default',
    namespaceExplicit: false,
    io: { out: () => undefined, err: (text) => void errors.push(text), readStdin: async () => '' },
  };
  t.after(() => {
    client.close();
    handler.closeSessions();
    upgrades.close();
    for (const c of clients) c.destroy();
    guest.close();
    server.closeAllConnections();
    server.close();
  });
  const vmi = (name: string, phase: string) =>
    store.create(VMI, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: 'default' }, spec: { domain: { devices: {} } }, status: { phase } });
  const setPhase = (name: string, phase: string) => {
    const o = store.get(VMI, 'default', name);
    store.update(VMI, { ...o, status: { phase } }, { subresource: 'status' });
  };
  const terminal = () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (c: Buffer) => (shown += c.toString('latin1')));
    const modes: boolean[] = [];
    return { input, output, modes, shown: () => shown, setRaw: (raw: boolean) => void modes.push(raw) };
  };
  return { session, vmi, setPhase, terminal, guestInput, errors, attempts, guestClosed: () => guestClosed };
}

const until = async (what: string, probe: () => boolean) => {
  for (let i = 0; i < 200; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never saw ${what}`);
};

test('waits while the VMI is not running, then joins the terminal in raw mode until Ctrl+]', async (t) => {
  const { session, vmi, setPhase, terminal, guestInput, errors, attempts, guestClosed } = await setup(t);
  vmi('a', 'Scheduled');
  const term = terminal();
  const done = consoleVerb(session, 'a', { terminal: term, timeoutMinutes: 1 });
  await until('a refused attempt retried', () => attempts.length >= 2);
  assert.deepEqual(term.modes, [], 'no raw mode before connecting');
  setPhase('a', 'Running');
  await until('the banner', () => errors.join('').includes('Successfully connected to a console. Press Ctrl+] or Ctrl+5 to exit console.\n'));
  await until('the guest output', () => term.shown().includes('login banner'));
  assert.deepEqual(term.modes, [true]);
  term.input.write(Buffer.from('ls\r'));
  await until('the typed bytes at the guest', () => guestInput.join('') === 'ls\r');
  term.input.write(Buffer.from([0x61, 29, 0x62]));
  await done;
  assert.deepEqual(term.modes, [true, false], 'raw mode restored');
  await until('the guest connection closed', () => guestClosed() === 1);
  assert.equal(guestInput.join(''), 'ls\ra', 'bytes before Ctrl+] are sent, those after it are not');
});

test('a session taken over ends normally with the reason; the terminal is restored', async (t) => {
  const { session, vmi, terminal, errors } = await setup(t);
  vmi('a', 'Running');
  const term = terminal();
  const done = consoleVerb(session, 'a', { terminal: term });
  await until('the first session', () => term.modes.length === 1);
  const other = await openWebSocket(session.access, vmiSubresourcePath('default', 'a', 'console'));
  t.after(() => other.terminate());
  await done;
  assert.deepEqual(term.modes, [true, false]);
  assert.match(errors.join(''), /console closed: another console session for VMI a took over/);
});

test('gives up after the timeout; other errors end it at once', async (t) => {
  const { session, vmi, terminal } = await setup(t);
  vmi('p', 'Pending');
  await assert.rejects(consoleVerb(session, 'p', { terminal: terminal(), timeoutMinutes: 0 }), ConsoleTimeoutError);
  await assert.rejects(consoleVerb(session, 'missing', { terminal: terminal() }), /not found/);
});
