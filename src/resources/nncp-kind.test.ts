import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nncpKind } from './nncp-kind.ts';
import { assertCause } from '../../test/helpers/causes.ts';

const create = { operation: 'CREATE' } as const;
const policy = (interfaces: unknown[]) => ({ apiVersion: 'nmstate.io/v1', kind: 'NodeNetworkConfigurationPolicy', metadata: { name: 'br1-policy' }, spec: { desiredState: { interfaces } } });
const bridge = { name: 'br1', type: 'linux-bridge', state: 'up', ipv4: { enabled: false }, bridge: { options: { stp: { enabled: false } }, port: [{ name: 'eth1' }] } };
const AT = 'spec.desiredState.interfaces[0]';

test('the canonical bridge policy passes', () => {
  assert.deepEqual(nncpKind.validate(policy([bridge, { name: 'eth1.10', type: 'vlan', state: 'up', vlan: { 'base-iface': 'eth1', id: 10 } }]), create), []);
});

test('an unknown type and state', () => {
  const causes = nncpKind.validate(policy([{ ...bridge, type: 'bond', state: 'sideways' }]), create);
  assertCause(causes, `${AT}.type`, 'expected one of linux-bridge, ethernet, vlan, found "bond"');
  assertCause(causes, `${AT}.state`, 'expected one of up, down, absent, found "sideways"');
});

test('a vlan interface without vlan settings, or with an id out of range', () => {
  assertCause(nncpKind.validate(policy([{ name: 'v10', type: 'vlan' }]), create), `${AT}.vlan`, 'expected vlan {base-iface, id} on an interface of type vlan, found nothing');
  assertCause(nncpKind.validate(policy([{ name: 'v10', type: 'vlan', vlan: { 'base-iface': 'eth1', id: 5000 } }]), create), `${AT}.vlan.id`, 'expected an integer from 0 to 4094, found 5000');
});

test('bad addresses, MTU and duplicate names', () => {
  const causes = nncpKind.validate(
    policy([{ ...bridge, mtu: 10, ipv4: { enabled: true, address: [{ ip: '10.0.0.300', 'prefix-length': 33 }] } }, { name: 'br1', type: 'ethernet' }]),
    create,
  );
  assertCause(causes, `${AT}.mtu`, 'expected an integer from 68 to 65535, found 10');
  assertCause(causes, `${AT}.ipv4.address[0].ip`, 'expected an IPv4 address like 192.168.100.1, found "10.0.0.300"');
  assertCause(causes, `${AT}.ipv4.address[0].prefix-length`, 'expected an integer from 0 to 32, found 33');
  assertCause(causes, 'spec.desiredState.interfaces[1].name', 'expected a unique interface name, found "br1" twice');
});

test('the kind is cluster-scoped with nmstate\'s printer columns', () => {
  assert.equal(nncpKind.namespaced, false);
  assert.deepEqual(nncpKind.printerColumns.map((c) => c.name), ['Status', 'Reason']);
});

test('interface names ip would read as keywords or options are refused, in every name field', () => {
  for (const name of ['dev', 'up', 'help', '-n', '--force']) {
    const causes = nncpKind.validate(policy([{ ...bridge, name, bridge: { port: [{ name }] } }, { name: 'v1', type: 'vlan', vlan: { 'base-iface': name, id: 1 } }]), create);
    const why = new RegExp(`^${name.startsWith('-') ? "expected an interface name not starting with '-' \\(ip would read an option\\)" : 'expected an interface name that is not an ip keyword \\(.*\\)'}, found "${name}"$`);
    assertCause(causes, `${AT}.name`, why);
    assertCause(causes, `${AT}.bridge.port[0].name`, why);
    assertCause(causes, 'spec.desiredState.interfaces[1].vlan.base-iface', why);
  }
  assertCause(nncpKind.validate(policy([{ ...bridge, name: 'a:b' }]), create), `${AT}.name`, "expected an interface name of 1 to 15 letters, digits, '_', '.', '@' or '-', found \"a:b\"");
});
