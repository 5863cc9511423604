import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interfaceProblem, parseIpAddrJson, readLinkState } from './link-state.ts';

// Captured from `ip -j addr show dev br1`: a bridge whose only port is a tap without a guest.
const noCarrier = JSON.stringify([
  {
    ifindex: 2,
    ifname: 'br1',
    flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'],
    operstate: 'DOWN',
    address: '72:74:4f:b3:b7:d5',
    addr_info: [
      { family: 'inet', local: '192.168.77.1', prefixlen: 24, scope: 'global' },
      { family: 'inet6', local: 'fe80::28a2:38ff:feea:dc50', prefixlen: 64, scope: 'link', tentative: true },
    ],
  },
]);

test('a bridge with NO-CARRIER still has its address: ready to serve, carrier reported false', () => {
  const state = parseIpAddrJson(noCarrier, 'br1');
  assert.deepEqual(state, { name: 'br1', index: 2, up: true, carrier: false, ipv4: ['192.168.77.1/24'], ipv6: [], linkLocal6: 'fe80::28a2:38ff:feea:dc50', mac: '72:74:4f:b3:b7:d5' });
  assert.equal(interfaceProblem(state, 'br1', '192.168.77.1/24'), undefined);
});

test('missing interface, missing address and a down interface are each named', async () => {
  assert.equal(await readLinkState('br9', async () => undefined), undefined);
  assert.equal(interfaceProblem(undefined, 'br9', '10.0.0.1/24'), 'no interface br9');
  const state = parseIpAddrJson(noCarrier, 'br1');
  assert.equal(interfaceProblem(state, 'br1', '192.168.77.1/16'), 'interface br1 has 192.168.77.1/24');
  assert.match(interfaceProblem({ ...state!, up: false }, 'br1', '192.168.77.1/24') ?? '', /is down/);
  assert.equal(interfaceProblem({ ...state!, ipv4: [] }, 'br1', '192.168.77.1/24'), 'interface br1 has no IPv4 address');
});

test('ip output that is not JSON is an error naming the device', () => {
  assert.throws(() => parseIpAddrJson('Device "x" does not exist.', 'x'), /expected JSON from ip -j addr show dev x/);
});
