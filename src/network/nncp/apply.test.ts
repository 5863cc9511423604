import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../lib/logger.ts';
import { applyDesiredState } from './apply.ts';
import { parseDesiredState } from './desired.ts';
import { ConnectivityLostError, StepFailedError, VlanUnsupportedError } from './errors.ts';
import { createFakeHost } from './fake-host.ts';
import type { HostState, LinkState } from './types.ts';

const link = (name: string, extra: Partial<LinkState> = {}): LinkState => ({ name, kind: 'veth', mtu: 1500, up: false, addresses: [], ...extra });
const node = (): HostState => ({
  links: [link('lo', { kind: '', up: true, mtu: 65536 }), link('eth0', { up: true, addresses: [{ ip: '10.77.0.2', prefix: 24 }] }), link('veth1')],
  defaultRoute: { gateway: '10.77.0.1', dev: 'eth0' },
});
const bridge = (ports: unknown[], extra: Record<string, unknown> = {}) =>
  parseDesiredState({ interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up', ipv4: { enabled: false }, bridge: { options: { stp: { enabled: false } }, port: ports }, ...extra }] });

test('a bridge with a veth port is applied and verified', async () => {
  const host = createFakeHost(node());
  const result = await applyDesiredState(bridge([{ name: 'veth1' }]), { host, log: silentLogger });
  assert.equal(result.ok, true, result.message);
  assert.equal(result.applied, 4);
  assert.equal(host.state.links.find((l) => l.name === 'veth1')?.master, 'br1');
  const again = await applyDesiredState(bridge([{ name: 'veth1' }]), { host, log: silentLogger });
  assert.deepEqual([again.ok, again.applied, again.message], [true, 0, 'the host already has the desired state']);
});

test('a port that does not exist fails the apply and the created bridge is deleted again', async () => {
  const host = createFakeHost(node());
  const result = await applyDesiredState(bridge([{ name: 'veth1' }, { name: 'nope0' }]), { host, log: silentLogger });
  assert.equal(result.ok, false);
  assert.ok(result.error instanceof StepFailedError);
  assert.match(result.message, /`ip link set dev nope0 master br1` failed: Cannot find device "nope0"; rolled back to the previous state \(3 change\(s\) undone\)/);
  assert.deepEqual(host.state, node(), 'the host is as before');
});

test('a vlan setting on a kernel without vlan filtering fails with that reason and is rolled back', async () => {
  const host = createFakeHost(node(), { vlan: false });
  const result = await applyDesiredState(bridge([{ name: 'veth1', vlan: { mode: 'access', tag: 10 } }]), { host, log: silentLogger });
  assert.equal(result.ok, false);
  assert.ok(result.error instanceof VlanUnsupportedError);
  assert.match(result.message, /^this kernel lacks bridge VLAN filtering: `ip link set dev br1 type bridge vlan_filtering 1` failed with "RTNETLINK answers: Operation not supported"; rolled back/);
  assert.equal(host.state.links.some((l) => l.name === 'br1'), false);
});

test('an 802.1Q device on a kernel without it fails with that reason', async () => {
  const host = createFakeHost(node());
  const result = await applyDesiredState(parseDesiredState({ interfaces: [{ name: 'veth1.5', type: 'vlan', vlan: { 'base-iface': 'veth1', id: 5 } }] }), { host, log: silentLogger });
  assert.match(result.message, /^this kernel lacks 802\.1Q VLAN devices: `ip link add link veth1 name veth1\.5 type vlan id 5` failed with "Error: Unknown device type\."/);
});

test('a change that loses the default gateway is rolled back', async () => {
  // The gateway answers only while eth0 is not a bridge port (the classic bridge-on-the-primary-NIC mistake).
  const host = createFakeHost(node(), { gatewayAnswers: (s) => s.links.find((l) => l.name === 'eth0')?.master === undefined });
  const result = await applyDesiredState(bridge([{ name: 'eth0' }]), { host, log: silentLogger });
  assert.equal(result.ok, false);
  assert.ok(result.error instanceof ConnectivityLostError);
  assert.match(result.message, /the default gateway 10\.77\.0\.1 answered ping before and does not now; rolled back/);
  assert.deepEqual(host.state, node());
});

test('a change that removes the default route is rolled back', async () => {
  const host = createFakeHost(node());
  const result = await applyDesiredState(parseDesiredState({ interfaces: [{ name: 'eth0', type: 'ethernet', state: 'down' }] }), { host, log: silentLogger });
  assert.match(result.message, /the default route via 10\.77\.0\.1 on eth0 is gone; rolled back/);
  assert.equal(host.state.links.find((l) => l.name === 'eth0')?.up, true);
});

test('a gateway that never answered does not fail the probe', async () => {
  const host = createFakeHost(node(), { gatewayAnswers: () => false });
  const result = await applyDesiredState(bridge([{ name: 'veth1' }]), { host, log: silentLogger });
  assert.equal(result.ok, true, result.message);
});

test('a rollback step that fails is reported with what stayed changed', async () => {
  const host = createFakeHost(node(), { fail: (argv) => (argv.join(' ') === 'ip link del dev br1' ? 'RTNETLINK answers: Device or resource busy' : argv.includes('nope0') ? 'Cannot find device "nope0"' : undefined) });
  const result = await applyDesiredState(bridge([{ name: 'nope0' }]), { host, log: silentLogger });
  assert.match(result.message, /rollback incomplete: `ip link del dev br1` failed: RTNETLINK answers: Device or resource busy; br1: expected absent as before, found a bridge/);
});

test('a name taken by another kind of link changes nothing', async () => {
  const host = createFakeHost(node());
  const result = await applyDesiredState(parseDesiredState({ interfaces: [{ name: 'veth1', type: 'linux-bridge' }] }), { host, log: silentLogger });
  assert.match(result.message, /existing veth link named veth1.*; nothing was changed$/);
  assert.deepEqual(host.commands, []);
});
