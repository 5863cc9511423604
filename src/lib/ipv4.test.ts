import { test } from 'node:test';
import assert from 'node:assert/strict';
import { broadcastOf, formatIpv4, inSubnet, networkOf, parseCidr, parseIpv4, parseRange } from './ipv4.ts';

test('parses and formats dotted quads', () => {
  assert.equal(parseIpv4('192.168.100.1'), 0xc0a86401);
  assert.equal(formatIpv4(0xc0a86401), '192.168.100.1');
  assert.equal(parseIpv4('256.1.1.1'), undefined);
  assert.equal(parseIpv4('1.2.3'), undefined);
});

test('computes network, broadcast and membership of a CIDR', () => {
  const cidr = parseCidr('192.168.100.7/24');
  assert.ok(cidr);
  assert.equal(formatIpv4(networkOf(cidr)), '192.168.100.0');
  assert.equal(formatIpv4(broadcastOf(cidr)), '192.168.100.255');
  assert.equal(inSubnet(cidr, parseIpv4('192.168.100.200') ?? 0), true);
  assert.equal(inSubnet(cidr, parseIpv4('192.168.101.1') ?? 0), false);
  assert.equal(parseCidr('1.2.3.4/33'), undefined);
  assert.equal(parseCidr('1.2.3.4'), undefined);
});

test('parses ranges in order only', () => {
  assert.deepEqual(parseRange('10.0.0.1-10.0.0.3'), { start: 0x0a000001, end: 0x0a000003 });
  assert.equal(parseRange('10.0.0.3-10.0.0.1'), undefined);
  assert.equal(parseRange('10.0.0.3'), undefined);
});
