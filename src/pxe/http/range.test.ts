import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRange } from './range.ts';

test('answers the whole file without a Range header', () => {
  assert.deepEqual(planRange(1000, undefined), { status: 200, start: 0, end: 999, length: 1000 });
});

test('answers one byte range with 206 and its Content-Range', () => {
  assert.deepEqual(planRange(1000, 'bytes=100-199'), { status: 206, start: 100, end: 199, length: 100, contentRange: 'bytes 100-199/1000' });
  assert.deepEqual(planRange(1000, 'bytes=-10'), { status: 206, start: 990, end: 999, length: 10, contentRange: 'bytes 990-999/1000' });
  assert.deepEqual(planRange(1000, 'bytes=900-5000'), { status: 206, start: 900, end: 999, length: 100, contentRange: 'bytes 900-999/1000' });
});

test('answers several ranges with the whole file, and overlapping ones as one range', () => {
  assert.equal(planRange(1000, 'bytes=0-9,500-509').status, 200);
  assert.deepEqual(planRange(1000, 'bytes=0-9,5-19').status, 206);
});

test('refuses a range past the end with 416', () => {
  assert.deepEqual(planRange(1000, 'bytes=1000-1100'), { status: 416, contentRange: 'bytes */1000' });
  assert.deepEqual(planRange(0, 'bytes=0-0'), { status: 416, contentRange: 'bytes */0' });
});

test('ignores malformed ranges and other units', () => {
  assert.equal(planRange(1000, 'bytes=abc').status, 200);
  assert.equal(planRange(1000, 'items=0-1').status, 200);
});
