import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOLEAN_PARAMS, queryBool, queryBoolOrUndefined } from './query.ts';

const read = (search: string, name: (typeof BOOLEAN_PARAMS)[number] = 'watch') => queryBool(new URLSearchParams(search), name);

test('an absent boolean parameter is false', () => assert.equal(read(''), false));
test('`0` is false', () => assert.equal(read('watch=0'), false));
test('`false` in any letter case is false', () => {
  for (const v of ['false', 'False', 'FALSE', 'fAlSe']) assert.equal(read(`watch=${v}`), false, v);
});
test('`true` in any letter case is true (the Python client sends True)', () => {
  for (const v of ['true', 'True', 'TRUE']) assert.equal(read(`watch=${v}`), true, v);
});
test('`1` is true', () => assert.equal(read('watch=1'), true));
test('the empty string is true, with or without `=`', () => {
  assert.equal(read('watch='), true);
  assert.equal(read('watch'), true);
});
test('any other value is true', () => {
  for (const v of ['yes', 'no', 'off', '2', ' false']) assert.equal(read(`watch=${encodeURIComponent(v)}`), true, v);
});
test('only the first value counts', () => {
  assert.equal(read('watch=false&watch=true'), false);
  assert.equal(read('watch=true&watch=false'), true);
});
test('every boolean parameter is read the same way', () => {
  for (const name of BOOLEAN_PARAMS) {
    assert.equal(read(`${name}=True`, name), true, name);
    assert.equal(read(`${name}=FALSE`, name), false, name);
    assert.equal(read('', name), false, name);
  }
});
test('unset is told apart from false where that matters', () => {
  assert.equal(queryBoolOrUndefined(new URLSearchParams(''), 'sendInitialEvents'), undefined);
  assert.equal(queryBoolOrUndefined(new URLSearchParams('sendInitialEvents=false'), 'sendInitialEvents'), false);
  assert.equal(queryBoolOrUndefined(new URLSearchParams('sendInitialEvents'), 'sendInitialEvents'), true);
});
