import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpv6, inPrefix6, ipv6Bytes, ipv6FromBytes, parseCidr6, parseIpv6, parseRange6 } from './ipv6.ts';

test('parses and formats IPv6 canonically (RFC 5952)', () => {
  for (const [text, canonical] of [
    ['fd00::1', 'fd00::1'],
    ['FD00:0:0:0:0:0:0:1', 'fd00::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1:2:3:4', 'fe80::1:2:3:4'],
    ['::ffff:192.168.1.2', '::ffff:c0a8:102'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ] as const) {
    const n = parseIpv6(text);
    assert.ok(n !== undefined, text);
    assert.equal(formatIpv6(n), canonical);
    assert.equal(ipv6FromBytes(ipv6Bytes(n)), n);
  }
  for (const bad of ['', 'fd00', '1.2.3.4', 'fd00::1::2', 'fe80::1%eth0', 'g::1', '1:2:3:4:5:6:7:8:9']) assert.equal(parseIpv6(bad), undefined, bad);
});

test('prefixes and ranges', () => {
  const c = parseCidr6('fd00:100::1/64');
  assert.ok(c);
  assert.equal(c.prefix, 64);
  assert.ok(inPrefix6(c, parseIpv6('fd00:100::ffff')!));
  assert.ok(!inPrefix6(c, parseIpv6('fd00:101::1')!));
  assert.equal(parseCidr6('fd00::1/129'), undefined);
  assert.equal(parseCidr6('fd00::1'), undefined);
  assert.deepEqual(parseRange6('fd00::10-fd00::20'), { start: parseIpv6('fd00::10'), end: parseIpv6('fd00::20') });
  assert.equal(parseRange6('fd00::20-fd00::10'), undefined);
});
