import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandNetworkConfig } from './config.ts';
import { defaultPodNetwork } from './default-network.ts';

test('the pod network is a gateway bridge with masquerade and host-local IPAM under the data dir', () => {
  const conf = defaultPodNetwork({ dataDir: '/var/lib/pxevirt' });
  const list = expandNetworkConfig(conf, 'x', { network: 'default', networkName: 'pod network' }, { ipamDataRoot: '/var/lib/pxevirt' });
  assert.equal(list.single, false);
  const [bridge] = list.plugins;
  assert.equal(bridge?.type, 'bridge');
  assert.equal(bridge?.bridge, 'pxvbr0');
  assert.equal(bridge?.isGateway, true);
  assert.equal(bridge?.isDefaultGateway, true);
  assert.equal(bridge?.ipMasq, true);
  assert.deepEqual(bridge?.ipam, { type: 'host-local', ranges: [[{ subnet: '10.244.0.0/24' }]], dataDir: '/var/lib/pxevirt/cni/networks' });
});

test('the bridge and subnet can be chosen', () => {
  const [bridge] = defaultPodNetwork({ dataDir: '/d', bridge: 'podbr', subnet: '10.88.0.0/16' }).plugins;
  assert.equal(bridge?.bridge, 'podbr');
  assert.deepEqual(bridge?.ipam.ranges, [[{ subnet: '10.88.0.0/16' }]]);
});
