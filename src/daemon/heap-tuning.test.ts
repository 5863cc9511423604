import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { DAEMON_HEAP_FLAGS, tuneDaemonHeap } from './heap-tuning.ts';

/** The new space's size after a burst of allocation in a fresh Node, tuned or not. */
function newSpaceAfterBurst(tuned: boolean): number {
  const script = `
    ${tuned ? `const { tuneDaemonHeap } = await import(${JSON.stringify(new URL('./heap-tuning.ts', import.meta.url).href)}); tuneDaemonHeap();` : ''}
    const v8 = await import('node:v8');
    const keep = [];
    for (let i = 0; i < 2e6; i++) { const o = { i, s: 'x' + i }; if (i % 10 === 0) keep.push(o); }
    process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size));`;
  return Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

test('keeps the young generation at its starting size through a burst of allocation', () => {
  const MiB = 2 ** 20;
  assert.ok(newSpaceAfterBurst(false) > 8 * MiB, 'untuned, V8 grows the new space (else this test proves nothing)');
  // Under tsx the new space has grown to 2 × 2 MiB before the test runs; tuned, it grows no further.
  assert.ok(newSpaceAfterBurst(true) <= 4 * MiB, 'tuned, the new space stays where it started');
});

test('sets each flag once, as node takes it', () => {
  const set: string[] = [];
  tuneDaemonHeap((flag) => set.push(flag));
  assert.deepEqual(set, [...DAEMON_HEAP_FLAGS]);
  for (const flag of set) assert.match(flag, /^--[a-z-]+=\d+$/);
});
