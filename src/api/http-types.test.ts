import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawJson, joinJson } from './http-types.ts';

test('joins items between a head and a tail with commas, in one buffer', () => {
  const items = ['{"a":1}', '{"b":"ä"}', '{}'].map((s) => Buffer.from(s));
  const bytes = joinJson('{"items":[', items, ']}\n');
  assert.equal(bytes.toString(), '{"items":[{"a":1},{"b":"ä"},{}]}\n');
  assert.deepEqual(new RawJson(bytes).toJSON(), { items: [{ a: 1 }, { b: 'ä' }, {}] });
});

test('joins no items into an empty list', () => {
  assert.equal(joinJson('[', [], ']').toString(), '[]');
});
