// GuestPorts over the local runtime with a real socat: TCP and UDP to servers on loopback (a
// bridge route in this network namespace), and the reasons a connection fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { GuestPortError, type GuestConnection } from '../api/guest-access.ts';
import { connectorError, localGuestPorts } from './guest-ports.ts';
import type { GuestObservation } from '../runtime/types.ts';

const socatMissing = (() => {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'socat is not installed (Debian package socat)';
  }
})();

const running = { uid: 'u1', netns: 'unused', state: 'running' } as GuestObservation;
const ports = (obs: GuestObservation | undefined) => localGuestPorts({ observe: () => obs, execute: async () => '' });

function collect(conn: GuestConnection): { text: () => string; ended: Promise<string | undefined> } {
  const chunks: Buffer[] = [];
  conn.onData((b) => chunks.push(b));
  return { text: () => Buffer.concat(chunks).toString(), ended: new Promise((resolve) => conn.onEnd(resolve)) };
}

test('a TCP connection carries bytes both ways and ends when the server closes', { skip: socatMissing }, async (t) => {
  const server = createServer((s) => s.once('data', (b) => s.end(`echo:${b.toString()}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const conn = await ports(running).connect('u1', { port, protocol: 'tcp', binding: 'bridge', guestAddress: '127.0.0.1' });
  const got = collect(conn);
  conn.write(Buffer.from('hi'));
  assert.equal(await got.ended, undefined);
  assert.equal(got.text(), 'echo:hi');
});

test('UDP datagrams go out and their answers come back', { skip: socatMissing }, async (t) => {
  const server = createSocket('udp4');
  server.on('message', (m, from) => server.send(Buffer.concat([Buffer.from('udp:'), m]), from.port, from.address));
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const conn = await ports(running).connect('u1', { port: server.address().port, protocol: 'udp', binding: 'bridge', guestAddress: '127.0.0.1' });
  const got = collect(conn);
  conn.write(Buffer.from('ping'));
  while (got.text() !== 'udp:ping') await new Promise((resolve) => conn.onData(() => resolve(undefined)));
  conn.close();
  assert.equal(await got.ended, undefined, 'closing by us is no error');
});

test('a refused connection ends with socat\'s reason; a guest not running is refused before any child runs', { skip: socatMissing }, async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  server.close();
  const conn = await ports(running).connect('u1', { port, protocol: 'tcp', binding: 'bridge', guestAddress: '127.0.0.1' });
  assert.match((await collect(conn).ended) ?? '', /Connection refused/);
  await assert.rejects(ports(undefined).connect('u1', { port, protocol: 'tcp', binding: 'masquerade' }), (e: unknown) => e instanceof GuestPortError && e.message === 'VMI is not running');
});

test('socat\'s stderr is shortened to its message', () => {
  assert.equal(connectorError('2026/12/05 17:00:00 socat[123] E connect(5, AF=2 127.0.0.1:1, 16): Connection refused\n'), 'connect(5, AF=2 127.0.0.1:1, 16): Connection refused');
  assert.equal(connectorError(''), 'the connection failed');
});
