import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RedfishError } from './errors.ts';
import { LoginLimiter } from './login-limit.ts';

const limits = { maxFailures: 3, windowSeconds: 10, blockSeconds: 5, maxClients: 2 };

test('failures spread wider than the window never block', () => {
  let now = 0;
  const l = new LoginLimiter(() => now, limits);
  for (let i = 0; i < 10; i++) {
    l.failed('a');
    l.check('a');
    now += 6_000;
  }
});

test('the block says how many seconds are left in its Base message, and ends on time', () => {
  let now = 0;
  const l = new LoginLimiter(() => now, limits);
  for (let i = 0; i < 3; i++) l.failed('a');
  now += 2_000;
  assert.throws(() => l.check('a'), (e: unknown) => e instanceof RedfishError && e.status === 429 && e.args[0] === '3' && /3 failed logins from a within 10 s/.test(e.message));
  now += 3_000;
  l.check('a');
});

test('the table is bounded: a new client pushes out the oldest', () => {
  const l = new LoginLimiter(() => 0, limits);
  for (const c of ['a', 'b', 'c', 'd']) l.failed(c);
  assert.equal(l.size, 2);
  l.failed('d');
  l.failed('d');
  assert.throws(() => l.check('d'), /3 failed logins from d/, 'the newest client is counted on');
});
