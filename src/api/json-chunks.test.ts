import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../lib/logger.ts';
import { RawJson, json } from './http-types.ts';
import { ChunkPool, JsonChunker } from './json-chunks.ts';
import { nodeListener } from './node-adapter.ts';

const list = (items: string[]) => new RawJson('{"items":[', items.map((s) => Buffer.from(s)), ']}\n');

/** Every chunk the chunker gives for `raw` with targets of `size` bytes. */
function chunks(raw: RawJson, size: number): Buffer[] {
  const chunker = new JsonChunker(raw);
  const out: Buffer[] = [];
  for (let c = chunker.next(Buffer.alloc(size)); c; c = chunker.next(Buffer.alloc(size))) out.push(Buffer.from(c));
  return out;
}

test('gives the head, the items joined by commas and the tail, whatever the chunk size', () => {
  const raw = list(['{"a":1}', '{"b":"ä"}', '{}', `{"long":"${'x'.repeat(40)}"}`]);
  assert.deepEqual(JSON.parse(raw.text), { items: [{ a: 1 }, { b: 'ä' }, {}, { long: 'x'.repeat(40) }] });
  for (const size of [1, 3, 7, 16, 64, 4096]) {
    const got = chunks(raw, size);
    assert.equal(Buffer.concat(got).toString(), raw.text, `chunks of ${size} bytes`);
    assert.equal(Buffer.concat(got).length, raw.byteLength);
    assert.ok(got.slice(0, -1).every((c) => c.length >= Math.min(size, 1)), 'no empty chunk');
  }
});

test('writes a part larger than a chunk as it is, without copying it', () => {
  const big = Buffer.from(`{"big":"${'y'.repeat(100)}"}`);
  const raw = new RawJson('[', [big], ']');
  const chunker = new JsonChunker(raw);
  const first = chunker.next(Buffer.alloc(32))!;
  assert.equal(first.toString(), '[');
  assert.equal(chunker.next(Buffer.alloc(32)), big);
  assert.equal(chunker.next(Buffer.alloc(32))!.toString(), ']');
  assert.equal(chunker.next(Buffer.alloc(32)), undefined);
});

test('gives an empty list as its head and tail', () => {
  assert.equal(Buffer.concat(chunks(list([]), 4)).toString(), '{"items":[]}\n');
});

test('keeps at most `keep` unused buffers of its size', () => {
  const pool = new ChunkPool(8, 2);
  const taken = [pool.take(), pool.take(), pool.take()];
  for (const b of taken) pool.give(b);
  pool.give(Buffer.alloc(4));
  assert.equal(pool.pooled, 2);
  assert.ok(taken.includes(pool.take()), 'a given buffer is taken again');
});

async function get(t: TestContext, raw: RawJson, method = 'GET'): Promise<{ length: string | undefined; body: string }> {
  const server = createServer(nodeListener(() => json(200, raw), silentLogger));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.after(() => new Promise<void>((done) => server.close(() => done())));
  const { port } = server.address() as AddressInfo;
  return new Promise((done, fail) => {
    request({ host: '127.0.0.1', port, method, path: '/', agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => done({ length: res.headers['content-length'], body: Buffer.concat(parts).toString() }));
    }).on('error', fail).end();
  });
}

test('sends a list of many chunks whole, with its length, and none for HEAD', async (t) => {
  const raw = list(Array.from({ length: 3000 }, (_, i) => JSON.stringify({ i, pad: 'z'.repeat(i % 600) })));
  assert.ok(raw.byteLength > 8 * 64 * 1024, 'more than a few chunks');
  const got = await get(t, raw);
  assert.equal(got.length, String(raw.byteLength));
  assert.equal(got.body, raw.text);
  const head = await get(t, raw, 'HEAD');
  assert.equal(head.length, String(raw.byteLength));
  assert.equal(head.body, '');
});
