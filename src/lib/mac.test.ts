import { test } from 'node:test';
import assert from 'node:assert/strict';
import { macFromBytes, macToBytes, normalizeMac } from './mac.ts';

test('normalises the common MAC spellings to lower-case colon form', () => {
  assert.equal(normalizeMac('DE-00-00-00-00-DE'), 'de:00:00:00:00:de');
  assert.equal(normalizeMac('de0000000ade'), 'de:00:00:00:0a:de');
  assert.equal(normalizeMac('de:00-00:00:00:de'), undefined);
  assert.equal(normalizeMac('de:00:00:00:00'), undefined);
});

test('converts between bytes and text', () => {
  assert.equal(macFromBytes(macToBytes('02:ab:00:00:00:01')), '02:ab:00:00:00:01');
  assert.throws(() => macToBytes('nope'), /expected a MAC address like de:00:00:00:00:de, found "nope"/);
});
