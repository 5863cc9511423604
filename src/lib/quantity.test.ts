import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity, quantityValue } from './quantity.ts';

const value = (text: unknown): number | undefined => parseQuantity(text)?.value;

test('decimal SI suffixes multiply by powers of ten', () => {
  assert.equal(value('1024M'), 1024e6);
  assert.equal(value('1k'), 1000);
  assert.equal(value('2G'), 2e9);
  assert.equal(value('1E'), 1e18);
});

test('binary SI suffixes multiply by powers of two', () => {
  assert.equal(value('1Gi'), 2 ** 30);
  assert.equal(value('512Mi'), 512 * 2 ** 20);
  assert.equal(value('1Ki'), 1024);
});

test('the m suffix means thousandths', () => {
  assert.equal(value('500m'), 0.5);
  assert.equal(quantityValue(parseQuantity('1500m')!), 2);
});

test('decimal exponents are accepted in both cases and with signs', () => {
  assert.equal(value('1e3'), 1000);
  assert.equal(value('1E3'), 1000);
  assert.equal(value('5e-1'), 0.5);
  assert.equal(value('1e+6'), 1e6);
});

test('fractions, signs and plain numbers', () => {
  assert.equal(value('1.5Gi'), 1.5 * 2 ** 30);
  assert.equal(value('.5k'), 500);
  assert.equal(value('-1M'), -1e6);
  assert.equal(value('+7'), 7);
  assert.equal(value(1073741824), 1073741824);
  assert.equal(value('1.1M'), 1100000);
});

test('malformed quantities are refused', () => {
  for (const bad of ['', 'abc', '1Gb', '1 Gi', 'Gi', '1.2.3', '1e', '1ki', '--1', 'NaN', null, {}, Infinity]) {
    assert.equal(parseQuantity(bad), undefined, `expected ${String(bad)} to be refused`);
  }
});

test('the text is kept as written', () => {
  assert.equal(parseQuantity('1024M')?.text, '1024M');
});
