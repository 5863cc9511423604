import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DAEMON_HEAP_FLAGS, capYoungGeneration, semiSpaceGrowthFactor, tuneDaemonHeap, type YoungGenerationHooks } from './heap-tuning.ts';

const MiB = 2 ** 20;

/** Hooks over a semi-space size the test sets, recording the flags set; gc() runs the observer. */
function fakeHooks(semi: number) {
  const flags: string[] = [];
  let after: (() => void) | undefined;
  const hooks: YoungGenerationHooks = {
    semiSpaceBytes: () => semi,
    setFlag: (flag) => void flags.push(flag),
    onGc: (fn) => ((after = fn), () => (after = undefined)),
  };
  return { hooks, flags, gc: (bytes: number) => ((semi = bytes), after?.()), observing: () => after !== undefined };
}

test('sets each flag once, as node takes it', () => {
  const set: string[] = [];
  const young = fakeHooks(MiB);
  tuneDaemonHeap((flag) => set.push(flag), young.hooks);
  assert.deepEqual(set, [...DAEMON_HEAP_FLAGS]);
  for (const flag of set) assert.match(flag, /^--[a-z-]+=\d+$/);
  assert.deepEqual(young.flags, ['--semi-space-growth-factor=2']);
});

test('sets only flags this Node knows', () => {
  // V8 ignores an unknown flag given at run time; `node --v8-options` lists the known ones.
  const known = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
  for (const flag of [...DAEMON_HEAP_FLAGS, '--semi-space-growth-factor=1']) assert.ok(known.includes(`  ${flag.split('=')[0]} `), `${flag} is a flag of this Node's V8`);
});

test('a semi-space grows (factor 2) below the cap and stops (factor 1) at or above it', () => {
  assert.equal(semiSpaceGrowthFactor(MiB, 4 * MiB), 2);
  assert.equal(semiSpaceGrowthFactor(2 * MiB, 4 * MiB), 2);
  assert.equal(semiSpaceGrowthFactor(4 * MiB, 4 * MiB), 1);
  assert.equal(semiSpaceGrowthFactor(16 * MiB, 4 * MiB), 1);
});

test('sets the growth factor after each GC only when it changes, and grows again after V8 shrank the space', () => {
  const young = fakeHooks(MiB);
  const stop = capYoungGeneration(young.hooks, 4 * MiB);
  young.gc(2 * MiB);
  young.gc(4 * MiB);
  young.gc(8 * MiB);
  young.gc(MiB); // the memory reducer shrank it: it may grow again
  assert.deepEqual(young.flags, ['--semi-space-growth-factor=2', '--semi-space-growth-factor=1', '--semi-space-growth-factor=2']);
  stop();
  assert.equal(young.observing(), false);
});

test('in a real V8, a burst of surviving allocations grows the young generation to the cap and not past twice it', () => {
  // A child process: the flag and the heap are per process. It prints the largest semi-space seen.
  const heapTuning = fileURLToPath(new URL('./heap-tuning.ts', import.meta.url));
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { capYoungGeneration } from ${JSON.stringify(heapTuning)};
    capYoungGeneration();
    const semi = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2;
    const kept = [];
    let max = 0;
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 20000; i++) kept.push({ text: 'x'.repeat(64) + i, list: [round, i] });
      if (kept.length > 400000) kept.splice(0, 200000);
      max = Math.max(max, semi());
      await new Promise((done) => setImmediate(done));
    }
    process.stdout.write(String(max));`;
  const max = Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }));
  assert.ok(max >= 4 * MiB, `the young generation still grows to the cap (largest semi-space ${max / MiB} MiB)`);
  assert.ok(max <= 8 * MiB, `the young generation stops at twice the cap at most (largest semi-space ${max / MiB} MiB, V8's own limit 16)`);
});
