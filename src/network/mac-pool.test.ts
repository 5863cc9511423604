import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateMac, DEFAULT_MAC_RANGE, formatMacRange, MacPoolExhaustedError, MacRangeError, macRange, parseMacRange, usableCount } from './mac-pool.ts';

/** Allocates `n` MACs in a row the way the admission does: each one joins the in-use set, the cursor moves on. */
function allocateMany(n: number, options: { range: ReturnType<typeof parseMacRange>; inUse?: Set<string>; cursor?: string; random?: () => number }) {
  const inUse = options.inUse ?? new Set<string>();
  let cursor = options.cursor;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = allocateMac({ range: options.range, inUse, cursor, ...(options.random ? { random: options.random } : {}) });
    out.push(r.mac);
    inUse.add(r.mac);
    cursor = r.cursor;
  }
  return { macs: out, cursor, inUse };
}

test('1000 allocations from the default range give 1000 distinct unicast, locally administered MACs', () => {
  const range = parseMacRange(DEFAULT_MAC_RANGE);
  const { macs } = allocateMany(1000, { range });
  assert.equal(new Set(macs).size, 1000);
  for (const mac of macs) {
    assert.match(mac, /^02:[0-9a-f]{2}(:[0-9a-f]{2}){4}$/);
    assert.notEqual(mac, '02:00:00:00:00:00');
  }
});

test('starts at a random offset, then hands out the next MAC after the cursor', () => {
  const range = parseMacRange(DEFAULT_MAC_RANGE);
  assert.equal(allocateMac({ range, inUse: new Set(), random: () => 0.5 }).mac, '02:80:00:00:00:00');
  assert.equal(allocateMac({ range, inUse: new Set(), cursor: '02:12:34:56:78:9a' }).mac, '02:12:34:56:78:9b');
  assert.equal(allocateMac({ range, inUse: new Set(['02:12:34:56:78:9b']), cursor: '02:12:34:56:78:9a' }).mac, '02:12:34:56:78:9c');
  // A cursor from another range (the range was changed) is ignored.
  assert.equal(allocateMac({ range, inUse: new Set(), cursor: '0a:00:00:00:00:01', random: () => 0 }).mac, '02:00:00:00:00:01');
});

test('never hands out the masquerade bridge MAC 02:00:00:00:00:00', () => {
  const range = macRange('02:00:00:00:00:00', '02:00:00:00:00:02');
  assert.equal(usableCount(range), 2);
  const { macs } = allocateMany(2, { range, random: () => 0 });
  assert.deepEqual(macs, ['02:00:00:00:00:01', '02:00:00:00:00:02']);
  assert.throws(() => allocateMac({ range, inUse: new Set(macs) }), MacPoolExhaustedError);
});

test('wraps around at the end of the range', () => {
  const range = macRange('0a:00:00:00:00:00', '0a:00:00:00:00:03');
  const { macs } = allocateMany(3, { range, cursor: '0a:00:00:00:00:01' });
  assert.deepEqual(macs, ['0a:00:00:00:00:02', '0a:00:00:00:00:03', '0a:00:00:00:00:00']);
});

test('does not reuse a just-freed MAC while others are free', () => {
  const range = macRange('0a:00:00:00:00:00', '0a:00:00:00:00:09');
  const { macs, inUse, cursor } = allocateMany(3, { range, random: () => 0 });
  inUse.delete(macs[2]!);
  const next = allocateMac({ range, inUse, cursor });
  assert.notEqual(next.mac, macs[2]);
  assert.equal(next.mac, '0a:00:00:00:00:03');
});

test('skips multicast and globally administered first octets inside a wide range', () => {
  const range = macRange('02:ff:ff:ff:ff:fe', '06:00:00:00:00:01');
  assert.equal(usableCount(range), 4);
  const { macs } = allocateMany(4, { range, random: () => 0 });
  assert.deepEqual(macs, ['02:ff:ff:ff:ff:fe', '02:ff:ff:ff:ff:ff', '06:00:00:00:00:00', '06:00:00:00:00:01']);
});

test('an exhausted range fails with the range and the counts', () => {
  const range = macRange('0a:00:00:00:00:00', '0a:00:00:00:00:03');
  const { inUse } = allocateMany(4, { range });
  assert.equal(inUse.size, 4);
  const err = (() => {
    try {
      allocateMac({ range, inUse });
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof MacPoolExhaustedError);
  assert.equal(err.message, 'the MAC pool 0a:00:00:00:00:00-0a:00:00:00:00:03 is exhausted: expected a free MAC, found all 4 usable MACs in use (4 in the range)');
});

test('parses FIRST-LAST with colon or hyphen MACs and other separators', () => {
  const want = '02:00:00:00:00:10-02:00:00:00:00:20';
  for (const text of ['02:00:00:00:00:10-02:00:00:00:00:20', '02-00-00-00-00-10-02-00-00-00-00-20', '02:00:00:00:00:10 .. 02:00:00:00:00:20', '02:00:00:00:00:10,02:00:00:00:00:20', ' 02:00:00:00:00:10 - 02:00:00:00:00:20 ']) {
    assert.equal(formatMacRange(parseMacRange(text)), want, text);
  }
});

test('a malformed range names the field, the expected and the found value', () => {
  const cases: Array<[string, RegExp]> = [
    ['02:00:00:00:00:00', /^--mac-range: expected FIRST-LAST, two MAC addresses such as 02:00:00:00:00:00-02:ff:ff:ff:ff:ff, found "02:00:00:00:00:00"$/],
    ['02:00:00:00:00:zz-02:ff:ff:ff:ff:ff', /^--mac-range: expected FIRST-LAST.*found "02:00:00:00:00:zz-02:ff:ff:ff:ff:ff"$/],
    ['03:00:00:00:00:00-03:ff:ff:ff:ff:ff', /^--mac-range: expected a unicast first MAC \(first octet even, e.g. 02\), found "03:00:00:00:00:00"$/],
    ['00:00:00:00:00:00-02:ff:ff:ff:ff:ff', /^--mac-range: expected a locally administered first MAC .*found "00:00:00:00:00:00"$/],
    ['02:00:00:00:00:20-02:00:00:00:00:10', /^--mac-range: expected the first MAC not above the last, found "02:00:00:00:00:20-02:00:00:00:00:10"$/],
    ['02:00:00:00:00:00-02:00:00:00:00:00', /^--mac-range: expected a range holding at least one MAC besides 02:00:00:00:00:00/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseMacRange(text, '--mac-range'), (err: unknown) => err instanceof MacRangeError && err.field === '--mac-range' && message.test(err.message), text);
  }
});

test('an allocation looks only at the MACs after the cursor, never at every MAC in use', () => {
  const range = parseMacRange(DEFAULT_MAC_RANGE);
  const taken = new Set(['02:00:00:00:01:01', '02:00:00:00:01:02']);
  let looked = 0;
  const inUse = {
    has: (mac: string) => (looked++, taken.has(mac)),
    size: 100_000,
    [Symbol.iterator]: (): Iterator<string> => {
      throw new Error('iterated every MAC in use');
    },
  };
  assert.equal(allocateMac({ range, inUse, cursor: '02:00:00:00:01:00' }).mac, '02:00:00:00:01:03');
  assert.equal(looked, 3);
});
