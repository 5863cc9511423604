import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../lib/logger.ts';
import { applyDesiredState, recoverFromCheckpoint } from './apply.ts';
import { parseDesiredState } from './desired.ts';
import { ConnectivityLostError, StepFailedError, VlanUnsupportedError } from './errors.ts';
import { createFakeHost } from './fake-host.ts';
import type { Checkpoint, HostState, LinkState } from './types.ts';

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

test('the checkpoint is in the journal before the first change and gone once the apply ended, either way', async () => {
  const events: string[] = [];
  const host = createFakeHost(node());
  const run = host.run.bind(host);
  host.run = async (argv) => {
    events.push(`run ${argv.slice(0, 3).join(' ')}`);
    return run(argv);
  };
  const journal = { save: async () => void events.push('save'), clear: async () => void events.push('clear') };
  assert.equal((await applyDesiredState(bridge([{ name: 'veth1' }]), { host, log: silentLogger, journal })).ok, true);
  assert.equal(events[0], 'save', 'saved before anything ran');
  assert.equal(events.at(-1), 'clear');
  events.length = 0;
  assert.equal((await applyDesiredState(bridge([{ name: 'veth1' }, { name: 'nope0' }]), { host: createFakeHost(node()), log: silentLogger, journal })).ok, false);
  assert.deepEqual(events, ['save', 'clear'], 'cleared after the rollback too');
});

test('a daemon killed mid-apply: the next start rolls the host back from the saved checkpoint', async () => {
  // The checkpoint an apply saves before its first change…
  let saved: Checkpoint | undefined;
  const journal = { save: async (c: Checkpoint) => void (saved = c), clear: async () => undefined };
  assert.equal((await applyDesiredState(bridge([{ name: 'veth1' }]), { host: createFakeHost(node()), log: silentLogger, journal })).ok, true);
  assert.ok(saved, 'the checkpoint was saved');
  // …and a host left half-configured by a daemon killed after two of its changes.
  const half = createFakeHost(node());
  await half.run(['ip', 'link', 'add', 'name', 'br1', 'type', 'bridge']);
  await half.run(['ip', 'link', 'set', 'dev', 'veth1', 'master', 'br1']);
  const back = await recoverFromCheckpoint(half, saved);
  assert.equal(back.complete, true, back.message);
  assert.match(back.message, /^rolled back to the previous state/);
  assert.deepEqual(half.state, node(), 'the half-configured host is as it was before the apply');
});

test('the gateway probe can be turned off: no ping, the default route still checked', async () => {
  const host = createFakeHost(node());
  let pings = 0;
  host.ping = async () => (pings++, true);
  assert.equal((await applyDesiredState(bridge([{ name: 'veth1' }]), { host, log: silentLogger, probeGateway: false })).ok, true);
  assert.equal(pings, 0);
});
