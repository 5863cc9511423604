import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedMac, NetworkPlanError, nicMac, planNics, type NicPlan } from './nic-plan.ts';
import type { VmiSpec } from './vmi-schema.ts';

const seed: VmiSpec = {
  domain: {
    devices: {
      interfaces: [
        { name: 'default', masquerade: {} },
        { name: 'pxe-net', bridge: {}, macAddress: 'DE-00-00-00-00-DE', bootOrder: 1, model: 'e1000' },
      ],
    },
  },
  networks: [
    { name: 'default', pod: {} },
    { name: 'pxe-net', multus: { networkName: 'pxe-net-conf' } },
  ],
};

test('plans the seed VMI: masquerade on eth0, bridge on net1 with the requested MAC, model and boot index', () => {
  assert.deepEqual(
    planNics(seed).map((p) => [p.name, p.binding, p.source, p.podInterface, p.networkName, p.mac, p.model, p.bootOrder]),
    [
      ['default', 'masquerade', 'pod', 'eth0', undefined, undefined, 'virtio', undefined],
      ['pxe-net', 'bridge', 'multus', 'net1', 'pxe-net-conf', 'de:00:00:00:00:de', 'e1000', 1],
    ],
  );
});

test('names multus interfaces by their order in spec.networks', () => {
  const spec: VmiSpec = {
    domain: { devices: { interfaces: [{ name: 'b', bridge: {} }, { name: 'p', masquerade: {} }, { name: 'a', bridge: {} }] } },
    networks: [{ name: 'a', multus: { networkName: 'x' } }, { name: 'p', pod: {} }, { name: 'b', multus: { networkName: 'ns/y' } }],
  };
  assert.deepEqual(planNics(spec).map((p) => `${p.name}:${p.podInterface}`), ['b:net2', 'p:eth0', 'a:net1']);
});

test('reads declared ports and refuses a bad one naming the field', () => {
  const spec: VmiSpec = { domain: { devices: { interfaces: [{ name: 'default', masquerade: {}, ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] }] } }, networks: [{ name: 'default', pod: {} }] };
  assert.deepEqual(planNics(spec)[0]?.ports, [{ protocol: 'tcp', port: 80 }, { protocol: 'udp', port: 53 }]);
  const bad: VmiSpec = { domain: { devices: { interfaces: [{ name: 'default', masquerade: {}, ports: [{ port: 0 }] }] } }, networks: [{ name: 'default', pod: {} }] };
  assert.throws(() => planNics(bad), (err: unknown) => err instanceof NetworkPlanError && err.field === 'spec.domain.devices.interfaces[0].ports[0].port');
});

test('refuses a binding pxevirt does not implement, and an interface without a network', () => {
  const spec: VmiSpec = { domain: { devices: { interfaces: [{ name: 'default', sriov: {} }] } }, networks: [{ name: 'default', pod: {} }] };
  assert.throws(() => planNics(spec), /bridge or masquerade binding/);
  const lonely: VmiSpec = { domain: { devices: { interfaces: [{ name: 'x', bridge: {} }] } } };
  assert.throws(() => planNics(lonely), (err: unknown) => err instanceof NetworkPlanError && err.field === 'spec.domain.devices.interfaces[0].name');
});

test('the MAC: the requested one wins, then the pod interface\'s on a bridge binding, else a generated one', () => {
  const [masq, bridge] = planNics(seed) as [NicPlan, NicPlan];
  const { mac: _requested, ...unrequested } = bridge;
  assert.equal(nicMac(bridge, 'u1', '0a:58:0a:00:00:05'), 'de:00:00:00:00:de');
  assert.equal(nicMac(unrequested, 'u1', '0A-58-0A-00-00-05'), '0a:58:0a:00:00:05');
  assert.equal(nicMac(unrequested, 'u1'), generatedMac('u1', 'pxe-net'));
  // Masquerade's pod interface keeps its own MAC; the guest's is generated.
  assert.equal(nicMac(masq, 'u1', '0a:58:0a:00:00:06'), generatedMac('u1', 'default'));
});
