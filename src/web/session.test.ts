import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cookieValue, SESSION_SECONDS, sessionCookie, signSession, tokenMatches, verifySession } from './session.ts';

const NOW = Date.parse('2026-11-22T09:00:00Z');

test('accepts a session signed with the token until it expires', () => {
  const value = signSession('tok', NOW);
  assert.equal(verifySession('tok', value, NOW), true);
  assert.equal(verifySession('tok', value, NOW + (SESSION_SECONDS - 1) * 1000), true);
  assert.equal(verifySession('tok', value, NOW + SESSION_SECONDS * 1000), false);
});

test('refuses a session signed with another token, altered, or malformed', () => {
  const value = signSession('tok', NOW);
  assert.equal(verifySession('other', value, NOW), false);
  const [v, exp, mac] = value.split('.');
  assert.equal(verifySession('tok', `${v}.${Number(exp) + 3600}.${mac}`, NOW), false);
  assert.equal(verifySession('tok', `${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`, NOW), false);
  for (const bad of [undefined, '', 'tok', 'v1..', 'v2.1.x']) assert.equal(verifySession('tok', bad, NOW), false);
});

test('finds a cookie among others and writes an HttpOnly, Secure, SameSite=Strict cookie', () => {
  assert.equal(cookieValue('a=1; pxevirt-session=v1.2.abc; b=2', 'pxevirt-session'), 'v1.2.abc');
  assert.equal(cookieValue('a=1', 'pxevirt-session'), undefined);
  assert.equal(cookieValue(undefined, 'pxevirt-session'), undefined);
  const set = sessionCookie('v1.2.abc');
  for (const part of ['pxevirt-session=v1.2.abc', 'HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/ui']) assert.ok(set.includes(part), `${set} lacks ${part}`);
  assert.match(sessionCookie(''), /Max-Age=0/);
});

test('compares tokens exactly, ignoring surrounding whitespace of the presented one', () => {
  assert.equal(tokenMatches(' tok\n', 'tok'), true);
  assert.equal(tokenMatches('tok2', 'tok'), false);
  assert.equal(tokenMatches('', 'tok'), false);
});
