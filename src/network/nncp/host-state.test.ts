import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostState } from './host-state.ts';

// Trimmed from `ip -j -d link show`, `ip -j -4 addr show` and `ip -j -4 route show default` on this machine.
const links = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, operstate: 'UNKNOWN', address: '00:00:00:00:00:00' },
  { ifindex: 2, ifname: 'br1', flags: ['BROADCAST', 'MULTICAST'], mtu: 1500, address: 'f6:ff:65:62:5e:34', linkinfo: { info_kind: 'bridge', info_data: { stp_state: 0, vlan_filtering: 0 } } },
  { ifindex: 4, link: 'v0p', ifname: 'v0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'M-DOWN'], mtu: 1400, master: 'br1', address: '1a:e6:a1:bd:02:6f', linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge' } },
]);
const addrs = JSON.stringify([
  { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifindex: 2, ifname: 'br1', addr_info: [{ family: 'inet', local: '10.9.0.1', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
]);

test('links, their IPv4 addresses, bridge settings and the default route are read from ip -j', () => {
  const state = parseHostState(links, addrs, '[{"dst":"default","gateway":"10.77.0.1","dev":"eth0","flags":[]}]');
  assert.deepEqual(state, {
    links: [
      { name: 'lo', kind: '', mtu: 65536, up: true, addresses: [{ ip: '127.0.0.1', prefix: 8 }], mac: '00:00:00:00:00:00' },
      { name: 'br1', kind: 'bridge', mtu: 1500, up: false, addresses: [{ ip: '10.9.0.1', prefix: 24 }], mac: 'f6:ff:65:62:5e:34', stp: false, vlanFiltering: false },
      { name: 'v0', kind: 'veth', mtu: 1400, up: true, addresses: [], master: 'br1', mac: '1a:e6:a1:bd:02:6f' },
    ],
    defaultRoute: { gateway: '10.77.0.1', dev: 'eth0' },
  });
});

test('no default route and empty output read as an empty host', () => {
  assert.deepEqual(parseHostState('', '[]', '[]'), { links: [] });
});
