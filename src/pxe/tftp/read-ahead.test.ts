import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ReadAhead } from './read-ahead.ts';

test('returns exactly the bytes asked for, across chunk boundaries, moving forward through the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-read-ahead-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const content = randomBytes(10_000);
  await writeFile(join(dir, 'f'), content);
  const handle = await open(join(dir, 'f'), 'r');
  t.after(() => handle.close());
  const reader = new ReadAhead(handle, content.length, { chunkBytes: 1000, ahead: 1 });
  for (const [offset, length] of [[0, 10], [990, 20], [1500, 3000], [4400, 0], [9000, 1000], [9990, 10]] as const) {
    assert.deepEqual(await reader.read(offset, length), content.subarray(offset, offset + length), `bytes ${offset}+${length}`);
  }
  assert.deepEqual(reader.peek(9000, 500), content.subarray(9000, 9500), 'the current chunk is in memory');
  reader.close();
});

test('gives a short read when the file shrank, for the transfer to report', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-read-ahead-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'f'), Buffer.alloc(100, 1));
  const handle = await open(join(dir, 'f'), 'r');
  t.after(() => handle.close());
  const reader = new ReadAhead(handle, 5000, { chunkBytes: 1000 });
  assert.equal((await reader.read(0, 512)).length, 100);
});
