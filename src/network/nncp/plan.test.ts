import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stepCommand } from './commands.ts';
import { parseDesiredState } from './desired.ts';
import { UnsupportedDesiredStateError } from './errors.ts';
import { plan, restorePlan, takeCheckpoint } from './plan.ts';
import type { HostState, LinkState } from './types.ts';
import { verify } from './verify.ts';

const link = (name: string, extra: Partial<LinkState> = {}): LinkState => ({ name, kind: 'veth', mtu: 1500, up: false, addresses: [], ...extra });
const host = (...links: LinkState[]): HostState => ({ links });
const lines = (steps: ReturnType<typeof plan>): string[] => steps.map((s) => stepCommand(s).join(' '));

const bridgeDoc = (ports: unknown[], extra: Record<string, unknown> = {}) => ({
  interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up', ipv4: { enabled: false }, bridge: { options: { stp: { enabled: false } }, port: ports }, ...extra }],
});

test('a new bridge is created, its port enslaved and brought up, then the bridge brought up', () => {
  const steps = plan(host(link('veth1')), parseDesiredState(bridgeDoc([{ name: 'veth1' }])));
  assert.deepEqual(lines(steps), ['ip link add name br1 type bridge stp_state 0', 'ip link set dev veth1 master br1', 'ip link set dev veth1 up', 'ip link set dev br1 up']);
});

test('a host that already matches gives an empty plan', () => {
  const current = host(link('br1', { kind: 'bridge', up: true, stp: false }), link('veth1', { up: true, master: 'br1' }));
  assert.deepEqual(plan(current, parseDesiredState(bridgeDoc([{ name: 'veth1' }]))), []);
});

test('ports not listed any more are released first; stp is switched on an existing bridge', () => {
  const current = host(link('br1', { kind: 'bridge', up: true, stp: true }), link('old', { up: true, master: 'br1' }), link('veth1', { up: true }));
  assert.deepEqual(lines(plan(current, parseDesiredState(bridgeDoc([{ name: 'veth1' }])))), ['ip link set dev br1 type bridge stp_state 0', 'ip link set dev old nomaster', 'ip link set dev veth1 master br1']);
});

test('static addresses replace the ones present; mtu and state follow the document', () => {
  const current = host(link('eth1', { up: true, addresses: [{ ip: '10.0.0.5', prefix: 24 }] }));
  const desired = parseDesiredState({ interfaces: [{ name: 'eth1', type: 'ethernet', state: 'down', mtu: 9000, ipv4: { enabled: true, dhcp: false, address: [{ ip: '192.168.7.1', 'prefix-length': 24 }] } }] });
  assert.deepEqual(lines(plan(current, desired)), ['ip link set dev eth1 mtu 9000', 'ip addr del 10.0.0.5/24 dev eth1', 'ip addr add 192.168.7.1/24 dev eth1', 'ip link set dev eth1 down']);
});

test('ipv4 disabled removes every address', () => {
  const current = host(link('eth1', { up: true, addresses: [{ ip: '10.0.0.5', prefix: 24 }, { ip: '10.0.1.5', prefix: 16 }] }));
  const steps = plan(current, parseDesiredState({ interfaces: [{ name: 'eth1', type: 'ethernet', ipv4: { enabled: false } }] }));
  assert.deepEqual(lines(steps), ['ip addr del 10.0.0.5/24 dev eth1', 'ip addr del 10.0.1.5/16 dev eth1']);
});

test('absent deletes a bridge but only takes an ethernet device down and bare', () => {
  const current = host(link('br1', { kind: 'bridge', up: true }), link('eth1', { up: true, master: 'br1', addresses: [{ ip: '10.0.0.5', prefix: 24 }] }));
  assert.deepEqual(lines(plan(current, parseDesiredState({ interfaces: [{ name: 'br1', state: 'absent' }] }))), ['ip link del dev br1']);
  assert.deepEqual(lines(plan(current, parseDesiredState({ interfaces: [{ name: 'eth1', state: 'absent' }] }))), ['ip link set dev eth1 nomaster', 'ip addr del 10.0.0.5/24 dev eth1', 'ip link set dev eth1 down']);
  assert.deepEqual(plan(current, parseDesiredState({ interfaces: [{ name: 'nothere', state: 'absent' }] })), []);
});

test('port vlan settings ask for vlan filtering before the bridge vlan entries', () => {
  const desired = parseDesiredState(bridgeDoc([{ name: 'veth1', vlan: { mode: 'trunk', 'trunk-tags': [{ id: 101 }, { 'id-range': { min: 200, max: 299 } }], tag: 100, 'enable-native': true } }, { name: 'veth2', vlan: { mode: 'access', tag: 7 } }]));
  const steps = lines(plan(host(link('veth1'), link('veth2')), desired));
  assert.deepEqual(steps.slice(1, 2), ['ip link set dev br1 type bridge vlan_filtering 1']);
  assert.ok(steps.includes('bridge vlan add dev veth1 vid 101'));
  assert.ok(steps.includes('bridge vlan add dev veth1 vid 200-299'));
  assert.ok(steps.includes('bridge vlan add dev veth1 vid 100 pvid untagged'));
  assert.ok(steps.includes('bridge vlan add dev veth2 vid 7 pvid untagged'));
});

test('a vlan interface becomes an 802.1Q device on its base', () => {
  const steps = plan(host(link('eth1')), parseDesiredState({ interfaces: [{ name: 'eth1.10', type: 'vlan', vlan: { 'base-iface': 'eth1', id: 10 } }] }));
  assert.deepEqual(lines(steps), ['ip link add link eth1 name eth1.10 type vlan id 10', 'ip link set dev eth1.10 up']);
});

test('a bridge name taken by another kind of link is refused before any change', () => {
  assert.throws(() => plan(host(link('br1')), parseDesiredState(bridgeDoc([]))), (err: unknown) => err instanceof UnsupportedDesiredStateError && /existing veth link named br1/.test(err.message));
});

test('dhcp, IPv6 addresses and routes are refused with the field that asked for them', () => {
  assert.throws(() => parseDesiredState({ interfaces: [{ name: 'eth1', type: 'ethernet', ipv4: { enabled: true, dhcp: true } }] }), /interfaces\[0\]\.ipv4\.dhcp: expected false/);
  assert.throws(() => parseDesiredState({ interfaces: [{ name: 'eth1', type: 'ethernet', ipv6: { enabled: true, address: [{ ip: 'fd00::1', 'prefix-length': 64 }] } }] }), /interfaces\[0\]\.ipv6/);
  assert.throws(() => parseDesiredState({ routes: { config: [{ destination: '0.0.0.0/0' }] }, interfaces: [] }), /routes\.config: expected no routes .*, found 1 route/);
  assert.deepEqual(parseDesiredState({ interfaces: [{ name: 'eth1', type: 'ethernet', ipv6: { enabled: false } }] }), [{ name: 'eth1', type: 'ethernet', state: 'up' }]);
});

test('the checkpoint covers the policy\'s links, their ports and the ports a bridge had', () => {
  const current = host(link('br1', { kind: 'bridge', up: true }), link('old', { master: 'br1' }), link('veth1'));
  const cp = takeCheckpoint(current, parseDesiredState(bridgeDoc([{ name: 'veth1' }, { name: 'missing' }])));
  assert.deepEqual(cp.links.map((l) => l.name).sort(), ['br1', 'missing', 'old', 'veth1']);
  assert.equal(cp.links.find((l) => l.name === 'missing')?.absent, true);
});

test('restoring deletes what was created and puts masters, addresses, mtu and state back', () => {
  const before = host(link('veth1', { up: false, mtu: 1500 }), link('eth1', { up: true, addresses: [{ ip: '10.0.0.5', prefix: 24 }] }));
  const desired = parseDesiredState({ interfaces: [...bridgeDoc([{ name: 'veth1' }]).interfaces, { name: 'eth1', type: 'ethernet', mtu: 9000, ipv4: { enabled: false } }] });
  const cp = takeCheckpoint(before, desired);
  const after = host(link('br1', { kind: 'bridge', up: true }), link('veth1', { up: true, master: 'br1' }), link('eth1', { up: true, mtu: 9000 }));
  const { steps, lost } = restorePlan(after, cp);
  assert.deepEqual(lost, []);
  assert.deepEqual(lines(steps), ['ip link del dev br1', 'ip link set dev veth1 nomaster', 'ip link set dev veth1 down', 'ip link set dev eth1 mtu 1500', 'ip addr add 10.0.0.5/24 dev eth1']);
});

test('restoring recreates a deleted bridge with its ports, and names links it cannot recreate', () => {
  const before = host(link('br9', { kind: 'bridge', up: true, stp: false, mac: '02:00:00:00:00:09' }), link('p1', { up: true, master: 'br9' }), link('eth9', { up: true }));
  const cp = takeCheckpoint(before, parseDesiredState({ interfaces: [{ name: 'br9', state: 'absent' }, { name: 'eth9', state: 'absent' }] }));
  const { steps, lost } = restorePlan(host(link('p1', { up: true })), cp);
  assert.deepEqual(lost, ['eth9']);
  assert.deepEqual(lines(steps), ['ip link add name br9 type bridge stp_state 0', 'ip link set dev p1 master br9', 'ip link set dev br9 mtu 1500', 'ip link set dev br9 address 02:00:00:00:00:09', 'ip link set dev br9 up']);
});

test('verify names each difference with the expected and found values', () => {
  const desired = parseDesiredState(bridgeDoc([{ name: 'veth1' }], { mtu: 1400 }));
  const found = verify(host(link('br1', { kind: 'bridge', up: false, stp: false }), link('veth1')), desired);
  assert.deepEqual(found, ['veth1: expected a port of br1, found master none', 'br1: expected mtu 1400, found 1500', 'br1: expected state up, found down']);
});
