import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRouterAdvertisement, parseNdp } from './packets.ts';
import { RouterSolicitationAnswerer } from './answerer.ts';

test('the advertisement says nothing: lifetime 0, M=O=0, no prefix, only our link-layer address', () => {
  const ra = emptyRouterAdvertisement('02:00:00:00:00:01');
  assert.equal(ra.length, 24);
  assert.deepEqual([...ra.subarray(0, 16)], [134, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(parseNdp(ra), { type: 134, mac: '02:00:00:00:00:01', routerLifetime: 0 });
  assert.throws(() => emptyRouterAdvertisement('nope'), /expected a MAC address/);
});

test('solicitations parse with their source link-layer address; malformed options are dropped', () => {
  const rs = Buffer.from([133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0xde, 0, 0, 0, 0, 0xde]);
  assert.deepEqual(parseNdp(rs), { type: 133, mac: 'de:00:00:00:00:de' });
  assert.equal(parseNdp(Buffer.from([133, 0, 0, 0, 0, 0, 0, 0, 1, 0])), undefined, 'zero-length option');
  assert.equal(parseNdp(Buffer.from([133, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0])), undefined, 'option past the end');
  assert.equal(parseNdp(Buffer.from([128, 0, 0, 0, 0, 0, 0, 0])), undefined, 'echo request');
});

function harness() {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const sent: string[] = [];
  const notes: string[] = [];
  const a = new RouterSolicitationAnswerer({
    now: () => now,
    setTimer: (fn, ms) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return { cancel: () => (t.live = false) };
    },
    answer: (who) => sent.push(who.source),
    note: (what) => notes.push(what),
  });
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers) if (t.live && t.at <= now) (t.live = false), t.fn();
  };
  return { a, sent, notes, advance };
}

test('answers after a short delay, once per pending solicitor', () => {
  const { a, sent, advance } = harness();
  a.onSolicitation('fe80::1', 'de:00:00:00:00:01');
  a.onSolicitation('fe80::1', 'de:00:00:00:00:01');
  assert.deepEqual(sent, []);
  advance(50);
  assert.deepEqual(sent, ['fe80::1']);
});

test("another router's advertisement cancels a pending answer and keeps us silent for 30 minutes", () => {
  const { a, sent, notes, advance } = harness();
  a.onSolicitation('fe80::1', undefined);
  a.onOtherAdvertisement('fe80::99', undefined);
  advance(100);
  a.onSolicitation('fe80::2', undefined);
  advance(100);
  assert.deepEqual(sent, []);
  assert.deepEqual(notes, ['other-router', 'silent-other-router']);
  advance(30 * 60_000);
  a.onSolicitation('fe80::3', undefined);
  advance(50);
  assert.deepEqual(sent, ['fe80::3'], 'answers again once the other router has been quiet long enough');
});
