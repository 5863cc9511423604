import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../lib/logger.ts';
import { createWorkQueue } from './work-queue.ts';

test('runs one key at a time and once more when added during a run', async () => {
  let active = 0;
  let maxActive = 0;
  const runs: string[] = [];
  let q: ReturnType<typeof createWorkQueue> | undefined;
  q = createWorkQueue({
    log: silentLogger,
    process: async (key) => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push(key);
      // Adds made while running (even synchronously) mark the key dirty instead of running it.
      if (runs.length === 1) {
        q?.add(key);
        q?.add(key);
      }
      await new Promise((r) => setTimeout(r, 5));
      active--;
    },
  });
  q.add('a');
  await q.idle();
  assert.equal(maxActive, 1);
  assert.deepEqual(runs, ['a', 'a']);
});

test('retries a failing key with backoff until it succeeds', async () => {
  let attempts = 0;
  const q = createWorkQueue({
    log: silentLogger,
    baseDelayMs: 1,
    process: async () => {
      attempts++;
      if (attempts < 3) throw new Error('not yet');
    },
  });
  q.add('k');
  for (let i = 0; i < 200 && attempts < 3; i++) await new Promise((r) => setTimeout(r, 5));
  await q.idle();
  assert.equal(attempts, 3);
  await q.stop();
});
