// Backpressure: a watch reader or a websocket (console, VNC) reader that stops reading is
// dropped once the server holds more than the bound for it, instead of buffering without end.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { silentLogger } from '../lib/logger.ts';
import type { ApiResponse, ByteChannel, StreamBody, UpgradeBody } from './http-types.ts';
import { nodeListener } from './node-adapter.ts';
import { websocketUpgrades } from './ws-adapter.ts';

const BOUND = 256 * 1024;
const CHUNK = 'x'.repeat(64 * 1024);
/** Far more than the bound plus every kernel buffer on the way: a reader that is never dropped fails the test. */
const GIVE_UP_BYTES = 512 * 1024 * 1024;

async function listen(t: TestContext, server: Server): Promise<number> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.after(() => new Promise<void>((done) => server.close(() => done())));
  return (server.address() as AddressInfo).port;
}

/** A client that sends `request` and never reads what comes back. */
function stalledClient(t: TestContext, port: number, request: string): Socket {
  const socket = connect(port, '127.0.0.1', () => socket.write(request));
  socket.pause();
  socket.on('error', () => undefined);
  t.after(() => socket.destroy());
  return socket;
}

test('drops a watch reader that stops reading once more than the bound is pending', async (t) => {
  let written = 0;
  const dropped = new Promise<number>((done) => {
    const body: StreamBody = {
      stream: (write, _end, signal) => {
        signal.addEventListener('abort', () => done(written), { once: true });
        const pump = () => {
          if (signal.aborted || written > GIVE_UP_BYTES) return;
          write(CHUNK);
          written += CHUNK.length;
          setImmediate(pump);
        };
        pump();
      },
    };
    const response: ApiResponse = { status: 200, headers: { 'content-type': 'application/json' }, body };
    const server = createServer(nodeListener(() => response, silentLogger, { maxPendingBytes: BOUND }));
    void listen(t, server).then((port) => stalledClient(t, port, 'GET /watch HTTP/1.1\r\nHost: x\r\n\r\n'));
  });
  const total = await dropped;
  assert.ok(total < GIVE_UP_BYTES, `dropped after ${total} bytes`);
});

test('drops a console reader that stops reading once more than the bound is pending', async (t) => {
  let channel: ByteChannel | undefined;
  let written = 0;
  const closed = new Promise<number>((done) => {
    const body: UpgradeBody = {
      upgrade: {
        protocol: 'plain.kubevirt.io',
        connect: async () => ({
          open: (c) => {
            channel = c;
            c.onClose(() => done(written));
            const bytes = Buffer.from(CHUNK);
            const pump = () => {
              if (written > GIVE_UP_BYTES) return;
              c.send(bytes);
              written += bytes.length;
              setImmediate(pump);
            };
            pump();
          },
          abort: () => undefined,
        }),
      },
    };
    const upgrades = websocketUpgrades(() => ({ status: 101, headers: {}, body }), silentLogger, { maxPendingBytes: BOUND });
    t.after(() => upgrades.close());
    const server = createServer();
    server.on('upgrade', upgrades.listener);
    void listen(t, server).then((port) =>
      stalledClient(t, port, [
        'GET /console HTTP/1.1', 'Host: x', 'Upgrade: websocket', 'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Protocol: plain.kubevirt.io', '', '',
      ].join('\r\n')),
    );
  });
  const total = await closed;
  assert.ok(channel);
  assert.ok(total < GIVE_UP_BYTES, `dropped after ${total} bytes`);
});
