import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TransferCaps } from './caps.ts';

test('refuses past the per-client cap, then admits again once a slot is released', () => {
  const caps = new TransferCaps({ perClient: 2, overall: 10 });
  assert.deepEqual([caps.admit('10.0.0.1'), caps.admit('10.0.0.1')], [{ ok: true }, { ok: true }]);
  assert.deepEqual(caps.admit('10.0.0.1'), { ok: false, cap: 'per-client', limit: 2 });
  assert.deepEqual(caps.admit('10.0.0.2'), { ok: true }, 'another client is not affected');
  caps.release('10.0.0.1');
  assert.deepEqual(caps.admit('10.0.0.1'), { ok: true });
  assert.deepEqual(caps.stats().refused, { perClient: 1, overall: 0 });
});

test('refuses past the overall cap whatever the address, and the map holds only running clients', () => {
  const caps = new TransferCaps({ perClient: 1, overall: 3 });
  for (let i = 0; i < 3; i++) assert.equal(caps.admit(`10.0.0.${i}`).ok, true);
  for (let i = 3; i < 1000; i++) assert.deepEqual(caps.admit(`10.0.${i >> 8}.${i & 255}`), { ok: false, cap: 'overall', limit: 3 });
  assert.deepEqual(caps.stats(), { active: 3, clients: 3, limits: { perClient: 1, overall: 3 }, refused: { perClient: 0, overall: 997 }, evicted: 0 });
  for (let i = 0; i < 3; i++) caps.release(`10.0.0.${i}`);
  caps.release('10.9.9.9');
  assert.deepEqual([caps.stats().active, caps.stats().clients], [0, 0], 'a release without an admit changes nothing');
});

test('at the overall cap, admits when evict() frees a slot and counts the eviction; refuses when it frees none', () => {
  const caps = new TransferCaps({ perClient: 2, overall: 2 });
  caps.admit('10.0.0.1');
  caps.admit('10.0.0.2');
  assert.deepEqual(caps.admit('10.0.0.3', () => false), { ok: false, cap: 'overall', limit: 2 });
  assert.deepEqual(caps.admit('10.0.0.3', () => true), { ok: false, cap: 'overall', limit: 2 }, 'an evict() that released nothing does not count');
  assert.deepEqual(caps.admit('10.0.0.3', () => (caps.release('10.0.0.1'), true)), { ok: true });
  assert.deepEqual(caps.stats(), { active: 2, clients: 2, limits: { perClient: 2, overall: 2 }, refused: { perClient: 0, overall: 2 }, evicted: 1 });
});

test('rejects caps that are not positive integers, naming the field', () => {
  assert.throws(() => new TransferCaps({ perClient: 0, overall: 5 }), /expected caps\.perClient to be a positive integer, found 0/);
  assert.throws(() => new TransferCaps({ perClient: 1, overall: 1.5 }), /caps\.overall.*found 1\.5/);
});
