import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogRateLimit, RotatingFile } from './log-file.ts';

test('the rate limit lets a burst through, drops the rest, and reports the count on the next allowed line', () => {
  let now = 0;
  const limit = new LogRateLimit(3, () => now);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => limit.take().ok), [true, true, true, false, false]);
  now = 1000;
  assert.deepEqual(limit.take(), { ok: true, dropped: 2 });
  assert.deepEqual(limit.take(), { ok: true, dropped: 0 });
});

test('the file rotates at its cap and keeps the newest lines (PATH and PATH.1 only)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'pxe.log');
  const file = new RotatingFile(path, 100);
  for (let i = 0; i < 1000; i++) file.write(`line ${String(i).padStart(4, '0')} .........\n`); // 20 bytes a line
  file.close();
  assert.ok((await stat(path)).size <= 100);
  assert.ok((await stat(`${path}.1`)).size <= 100);
  const text = await readFile(path, 'utf8');
  assert.match(text, /line 0999/, 'the newest line is kept');
  assert.doesNotMatch((await readFile(`${path}.1`, 'utf8')) + text, /line 0000/, 'the oldest are gone');
  assert.equal(((await stat(path)).mode & 0o777).toString(8), '600');
});
