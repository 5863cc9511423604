import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planNics } from '../resources/device-plan.ts';
import type { VmiSpec } from '../resources/vmi-schema.ts';
import { cniAttachments } from './vmi-plan.ts';

const seed: VmiSpec = {
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

test('the seed VMI attaches the pod network on eth0, and the multus network on net1 with the requested MAC', () => {
  assert.deepEqual(cniAttachments(planNics(seed)), [
    { network: 'default', ifname: 'eth0' },
    { network: 'pxe-net', ifname: 'net1', networkName: 'pxe-net-conf', mac: 'de:00:00:00:00:de' },
  ]);
});

test('attaches the pod network first, then multus networks in spec.networks order', () => {
  const spec: VmiSpec = {
    domain: { devices: { interfaces: [{ name: 'b', bridge: {} }, { name: 'p', masquerade: {} }, { name: 'a', bridge: {} }] } },
    networks: [{ name: 'a', multus: { networkName: 'x' } }, { name: 'p', pod: {} }, { name: 'b', multus: { networkName: 'ns/y' } }],
  };
  assert.deepEqual(cniAttachments(planNics(spec)).map((a) => `${a.network}:${a.ifname}`), ['p:eth0', 'a:net1', 'b:net2']);
});
