import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { DAEMON_HEAP_FLAGS, tuneDaemonHeap } from './heap-tuning.ts';

test('sets each flag once, as node takes it', () => {
  const set: string[] = [];
  tuneDaemonHeap((flag) => set.push(flag));
  assert.deepEqual(set, [...DAEMON_HEAP_FLAGS]);
  for (const flag of set) assert.match(flag, /^--[a-z-]+=\d+$/);
});

test('sets only flags this Node knows', () => {
  // V8 ignores an unknown flag given at run time; `node --v8-options` lists the known ones.
  const known = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
  for (const flag of DAEMON_HEAP_FLAGS) assert.ok(known.includes(`  ${flag.split('=')[0]} `), `${flag} is a flag of this Node's V8`);
});
