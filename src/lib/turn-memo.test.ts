import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoForTurn } from './turn-memo.ts';

test('a turn memo makes a value once for equal inputs in a turn, anew for another input, and forgets it at the next turn', async () => {
  let made = 0;
  const length = memoForTurn((s: string) => ({ n: s.length, id: ++made }));
  const first = length('abc');
  assert.equal(length('abc'), first);
  assert.equal(made, 1);
  assert.notEqual(length('abcd'), first, 'another input is made anew');
  assert.equal(made, 2);
  await new Promise((done) => setImmediate(done));
  assert.notEqual(length('abcd'), length('abc'));
  assert.equal(made, 4, 'nothing kept across the turn');
  const joined = memoForTurn((parts: readonly string[]) => parts.join(''), (a, b) => a.length === b.length && a.every((p, i) => p === b[i]));
  assert.equal(joined(['a', 'b']), joined(['a', 'b']));
});
