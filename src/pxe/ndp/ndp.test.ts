import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advertisementFlags, emptyRouterAdvertisement, parseNdp, routerAdvertisement } from './packets.ts';
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

test('with DHCPv6 the advertisement carries M/O and the on-link prefix, still with router lifetime 0', () => {
  const network = Buffer.from('fd000100000000000000000000000000', 'hex');
  const ra = routerAdvertisement({ mac: '02:00:00:00:00:01', managed: true, other: true, prefix: { network, length: 64, autonomous: false, validSeconds: 86400, preferredSeconds: 14400 } });
  assert.equal(ra.length, 56);
  assert.deepEqual(advertisementFlags(ra), { managed: true, other: true });
  assert.deepEqual(parseNdp(ra), { type: 134, mac: '02:00:00:00:00:01', routerLifetime: 0 });
  assert.deepEqual([...ra.subarray(24, 28)], [3, 4, 64, 0x80], 'prefix option: on-link, not autonomous');
  assert.ok(ra.subarray(40, 56).equals(network));
  const stateless = routerAdvertisement({ mac: '02:00:00:00:00:01', other: true, prefix: { network, length: 64, autonomous: true, validSeconds: 1, preferredSeconds: 1 } });
  assert.deepEqual(advertisementFlags(stateless), { managed: false, other: true });
  assert.equal(stateless[27], 0xc0, 'stateless: on-link and autonomous (SLAAC)');
});
