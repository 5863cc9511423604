import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cniAttachments, NetworkPlanError, planInterfaces } from './vmi-plan.ts';

const seed = {
  domain: {
    devices: {
      interfaces: [
        { name: 'default', masquerade: {} },
        { name: 'pxe-net', bridge: {}, macAddress: 'DE-00-00-00-00-DE', bootOrder: 1 },
      ],
    },
  },
  networks: [
    { name: 'default', pod: {} },
    { name: 'pxe-net', multus: { networkName: 'pxe-net-conf' } },
  ],
};

test('plans the seed VMI: masquerade on eth0, bridge on net1 with the requested MAC', () => {
  const plans = planInterfaces(seed);
  assert.deepEqual(
    plans.map((p) => [p.name, p.binding, p.source, p.podInterface, p.networkName, p.mac]),
    [
      ['default', 'masquerade', 'pod', 'eth0', undefined, undefined],
      ['pxe-net', 'bridge', 'multus', 'net1', 'pxe-net-conf', 'de:00:00:00:00:de'],
    ],
  );
  assert.deepEqual(cniAttachments(plans), [
    { network: 'default', ifname: 'eth0' },
    { network: 'pxe-net', ifname: 'net1', networkName: 'pxe-net-conf', mac: 'de:00:00:00:00:de' },
  ]);
});

test('names multus interfaces by their order in spec.networks and attaches the pod network first', () => {
  const spec = {
    domain: { devices: { interfaces: [{ name: 'b', bridge: {} }, { name: 'p', masquerade: {} }, { name: 'a', bridge: {} }] } },
    networks: [{ name: 'a', multus: { networkName: 'x' } }, { name: 'p', pod: {} }, { name: 'b', multus: { networkName: 'ns/y' } }],
  };
  assert.deepEqual(cniAttachments(planInterfaces(spec)).map((a) => `${a.network}:${a.ifname}`), ['p:eth0', 'a:net1', 'b:net2']);
});

test('reads declared ports and refuses a bad one naming the field', () => {
  const spec = { domain: { devices: { interfaces: [{ name: 'default', masquerade: {}, ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] }] } }, networks: [{ name: 'default', pod: {} }] };
  assert.deepEqual(planInterfaces(spec)[0]?.ports, [{ protocol: 'tcp', port: 80 }, { protocol: 'udp', port: 53 }]);
  const bad = { domain: { devices: { interfaces: [{ name: 'default', masquerade: {}, ports: [{ port: 0 }] }] } }, networks: [{ name: 'default', pod: {} }] };
  assert.throws(() => planInterfaces(bad), (err: unknown) => err instanceof NetworkPlanError && err.field === 'spec.domain.devices.interfaces[0].ports[0].port');
});

test('refuses a binding pxevirt does not implement', () => {
  const spec = { domain: { devices: { interfaces: [{ name: 'default', sriov: {} }] } }, networks: [{ name: 'default', pod: {} }] };
  assert.throws(() => planInterfaces(spec), /bridge or masquerade binding/);
});
