import assert from 'node:assert/strict';
import { test } from 'node:test';
import { beginInstall, bootDecision, completeInstall, currentToken, emptyInstallState, hostList, noteLocalBoot, parseInstallState, prune, reprovision, type InstallLimits } from './install-state.ts';

const MAC = 'de:00:00:00:00:01';
const T0 = Date.parse('2026-12-05T12:00:00Z');
const limits: InstallLimits = { tokenTtlMs: 60_000, maxTokens: 3, maxTokensPerHost: 2, maxHosts: 2 };

test('an install boot makes the host Installing with a token; the token makes it Provisioned', () => {
  let s = beginInstall(emptyInstallState(), { mac: MAC, image: 'installer', token: 'tok1' }, T0, limits);
  assert.equal(s.hosts[MAC]?.state, 'Installing');
  assert.equal(bootDecision(s, MAC, true), 'install');
  const done = completeInstall(s, 'tok1', T0 + 1000);
  assert.ok(done.ok);
  s = done.state;
  assert.equal(s.hosts[MAC]?.state, 'Provisioned');
  assert.equal(s.hosts[MAC]?.provisionedAt, '2026-12-05T12:00:01.000Z');
  assert.equal(bootDecision(s, MAC, true), 'local');
  assert.equal(bootDecision(s, MAC, false), 'install', 'a host without once installs on every boot');
});

test('a wrong, spent or expired token changes nothing', () => {
  const s = beginInstall(emptyInstallState(), { mac: MAC, image: 'i', token: 'tok1' }, T0, limits);
  assert.deepEqual(completeInstall(s, 'nope', T0), { ok: false, reason: 'unknown-token' });
  assert.deepEqual(completeInstall(s, 'tok1', T0 + 60_000), { ok: false, reason: 'expired' });
  const done = completeInstall(s, 'tok1', T0);
  assert.ok(done.ok);
  assert.deepEqual(completeInstall(done.state, 'tok1', T0), { ok: false, reason: 'unknown-token' });
});

test('reprovision sends a Provisioned host back to install, once per request time', () => {
  const started = beginInstall(emptyInstallState(), { mac: MAC, image: 'i', token: 't' }, T0, limits);
  const done = completeInstall(started, 't', T0 + 1000);
  assert.ok(done.ok);
  const later = '2026-12-05T13:00:00Z';
  const back = reprovision(done.state, MAC, later);
  assert.equal(back.changed, true);
  assert.equal(bootDecision(back.state, MAC, true), 'install');
  assert.equal(back.state.hosts[MAC], undefined);
  // The same request again, after a new install finished later than it: nothing to do.
  const again = completeInstall(beginInstall(back.state, { mac: MAC, image: 'i', token: 'u' }, Date.parse(later) + 1000, limits), 'u', Date.parse(later) + 2000);
  assert.ok(again.ok);
  assert.equal(reprovision(again.state, MAC, later).changed, false);
  assert.equal(reprovision(again.state, MAC).changed, true, 'without a time it always applies');
  assert.equal(reprovision(emptyInstallState(), MAC).changed, false);
});

test('tokens are bounded per host and overall, and expire', () => {
  let s = emptyInstallState();
  for (const [i, mac] of ['a', 'a', 'a', 'b', 'c'].entries()) s = beginInstall(s, { mac, image: 'i', token: `t${i}` }, T0 + i, limits);
  assert.deepEqual(
    s.tokens.map((t) => t.token),
    ['t2', 't3', 't4'],
  );
  assert.deepEqual(Object.keys(s.hosts), ['b', 'c'], 'hosts bounded, least recently changed dropped');
  assert.equal(currentToken(s, 'c', T0)?.token, 't4');
  assert.deepEqual(prune(s, T0 + 60_010, limits).tokens, []);
  assert.equal(currentToken(s, 'c', T0 + 60_010), undefined);
});

test('a local boot is noted on the host; hostList is newest first', () => {
  let s = beginInstall(emptyInstallState(), { mac: 'a', image: 'i', token: 't' }, T0, limits);
  s = beginInstall(s, { mac: 'b', image: 'i', token: 'u' }, T0, limits);
  s = noteLocalBoot(s, 'a', T0 + 5);
  assert.equal(s.hosts.a?.lastLocalBootAt, '2026-12-05T12:00:00.005Z');
  assert.deepEqual(hostList(s).map((h) => h.mac), ['b', 'a']);
});

test('parseInstallState keeps what is well formed and drops the rest', () => {
  const s = beginInstall(emptyInstallState(), { mac: MAC, image: 'i', token: 't' }, T0, limits);
  assert.deepEqual(parseInstallState(JSON.parse(JSON.stringify(s))), s);
  assert.deepEqual(parseInstallState({ hosts: { x: { mac: 'x', state: 'Weird' } }, tokens: [{ token: 1 }] }), emptyInstallState());
  assert.deepEqual(parseInstallState('garbage'), emptyInstallState());
});
