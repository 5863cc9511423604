import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageOf, humanDuration } from './duration.ts';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test('renders ages as the API server does', () => {
  const cases: Array<[number, string]> = [
    [-5 * s, '<invalid>'],
    [-1 * s, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 20 * s, '3m20s'],
    [10 * m + 5 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [5 * h + 30 * m, '5h30m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [2 * d + 3 * h, '2d3h'],
    [8 * d, '8d'],
    [400 * d, '400d'],
    [3 * 365 * d, '3y'],
    [3 * 365 * d + 20 * d, '3y20d'],
    [9 * 365 * d, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('ages a timestamp against the given clock, <unknown> when it does not parse', () => {
  assert.equal(ageOf('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:05:00Z')), '5m');
  assert.equal(ageOf('yesterday', 0), '<unknown>');
  assert.equal(ageOf(undefined, 0), '<unknown>');
});
