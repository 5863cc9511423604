import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameChunk } from './node-adapter.ts';
import { memoForTurn } from '../lib/turn-memo.ts';

test('a stream chunk is framed as one HTTP/1.1 chunk, its length in bytes, and the same chunk is framed once', () => {
  const framer = { frame: memoForTurn(frameChunk) };
  const chunk = `{"type":"MODIFIED","object":{"name":"é${'x'.repeat(20)}"}}\n`;
  const frame = framer.frame(chunk);
  const bytes = Buffer.byteLength(chunk);
  assert.equal(frame.toString(), `${bytes.toString(16)}\r\n${chunk}\r\n`);
  assert.equal(framer.frame(chunk), frame, 'the next watcher of the same chunk gets the same buffer');
  assert.notEqual(framer.frame(`${chunk} `), frame);
});

/** A server whose every request is a stream of `lines`, written one by one, then ended. */
async function streamServer(t: import('node:test').TestContext, lines: string[]): Promise<number> {
  const { createServer } = await import('node:http');
  const { nodeListener } = await import('./node-adapter.ts');
  const { silentLogger } = await import('../lib/logger.ts');
  const server = createServer(
    nodeListener(
      () => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: {
          stream: (write: (chunk: string) => void, end: () => void) => {
            for (const line of lines) write(line);
            setImmediate(end);
          },
        },
      }),
      silentLogger,
    ),
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.after(() => new Promise<void>((done) => server.close(() => done())));
  return (server.address() as import('node:net').AddressInfo).port;
}

/** Sends `request` raw and returns everything the server sent until it closed. */
async function exchange(port: number, request: string): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((done, fail) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('end', () => done(text));
    socket.on('error', fail);
  });
}

test('a stream reaches HTTP/1.1, pipelined and HTTP/1.0 clients intact', async (t) => {
  const lines = ['{"n":1}\n', '{"n":2}\n'];
  const port = await streamServer(t, lines);
  const chunked = lines.map((l) => `${Buffer.byteLength(l).toString(16)}\r\n${l}\r\n`).join('');
  const one = await exchange(port, 'GET /w HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(one, /transfer-encoding: chunked/i);
  assert.ok(one.endsWith(`\r\n\r\n${chunked}0\r\n\r\n`), one);
  // Two requests at once: the second response's chunks must come after its own headers.
  const two = await exchange(port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const parts = two.split(/HTTP\/1\.1 200 OK\r\n/).slice(1);
  assert.equal(parts.length, 2, two);
  for (const part of parts) assert.ok(part.endsWith(`\r\n\r\n${chunked}0\r\n\r\n`), part);
  // HTTP/1.0 has no chunked encoding: the lines as they are, until the close.
  const old = await exchange(port, 'GET /w HTTP/1.0\r\nHost: x\r\n\r\n');
  assert.doesNotMatch(old, /transfer-encoding/i);
  assert.ok(old.endsWith(`\r\n\r\n${lines.join('')}`), old);
});
