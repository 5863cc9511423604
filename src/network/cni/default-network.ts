// The node's pod network: the conflist the default (eth0) attachment runs, as a Kubernetes
// node's bridge CNI would: a node bridge that is the pods' gateway, masquerade to the node,
// addresses from host-local kept under the data dir.
import { join } from 'node:path';
import { DEFAULT_NETWORK_NAME } from './manager.ts';

export const DEFAULT_POD_BRIDGE = 'pxvbr0';
export const DEFAULT_POD_SUBNET = '10.244.0.0/24';

/** The pod network's conflist: eth0 gets an address from `subnet` and a default route via the node bridge. */
export function defaultPodNetwork(options: { dataDir: string; bridge?: string; subnet?: string }) {
  return {
    cniVersion: '1.0.0',
    name: DEFAULT_NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge: options.bridge ?? DEFAULT_POD_BRIDGE,
        isGateway: true,
        isDefaultGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: options.subnet ?? DEFAULT_POD_SUBNET }]],
          dataDir: join(options.dataDir, 'cni', 'networks'),
        },
      },
    ],
  };
}
