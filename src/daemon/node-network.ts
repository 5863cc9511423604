// Where the daemon's node network lives, and the CNI manager and VMI networking built on it.
// `--node-netns NAME`: an isolated namespace is the node (every bridge, veth, address and
// NAT rule the CNI plugins and NNCPs make lands there; the API still listens in the daemon's
// own namespace). Without it the node is the daemon's own namespace — but when that is the
// machine's initial namespace, pxevirt changes it only with `--host-network`: otherwise
// VMIs and PXEServers with networks fail with a message saying how to choose.
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../lib/logger.ts';
import { createCniManager, defaultPodNetwork, execPluginInNetns, nodeHostIn, type CniManager } from '../network/cni/index.ts';
import { createVmiNetworking } from '../network/vmi-attacher.ts';
import { createIprouteHost, type NetworkHost } from '../network/nncp/index.ts';
import type { NetworkAttacher } from '../runtime/nics.ts';

/** The node network would be the machine's own and --host-network was not given. */
export class HostNetworkRefusedError extends Error {
  constructor(readonly what: string) {
    super(
      `${what} needs the node network, but pxevirt up runs in this machine's own network namespace: ` +
        'restart it with --node-netns NAME (an isolated node namespace, created when missing) or with --host-network ' +
        '(pxevirt may then add bridges, veths and NAT rules to this machine)',
    );
    this.name = 'HostNetworkRefusedError';
  }
}

/**
 * Whether this process runs in the machine's own network namespace: that of pid 1 when it can
 * be read; where it cannot (containers), any namespace that is not one of the named ones
 * under /run/netns (`ip netns add`, as `ip netns exec NAME pxevirt up` gives) counts as the
 * machine's — so the answer errs on the side of refusing.
 */
export function inInitialNetns(): boolean {
  let self: string;
  try {
    self = readlinkSync('/proc/self/ns/net');
  } catch {
    return true;
  }
  try {
    return self === readlinkSync('/proc/1/ns/net');
  } catch {
    /* pid 1 hidden from us: fall back to the named namespaces */
  }
  try {
    const inode = statSync('/proc/self/ns/net').ino;
    return !readdirSync('/run/netns').some((name) => {
      try {
        return statSync(join('/run/netns', name)).ino === inode;
      } catch {
        return false;
      }
    });
  } catch {
    return true;
  }
}

export interface NodeNetworkOptions {
  dataDir: string;
  /** The isolated node namespace, when the node is not the daemon's own namespace. */
  nodeNetns?: string;
  /** Allow changing the machine's own namespace (when it is the node). */
  hostNetwork?: boolean;
  cniPluginDirs?: readonly string[];
  resolveNad(namespace: string, name: string): string | undefined;
  log: Logger;
  /** Whether the daemon is in the machine's own namespace (tests inject it). */
  inInitialNetns?: () => boolean;
}

/** The node's CNI manager (one per daemon; it serialises its work), guarded as described above. */
export function nodeCniManager(options: NodeNetworkOptions): CniManager {
  const cni = createCniManager({
    cacheDir: join(options.dataDir, 'cni', 'cache'),
    ipamDataRoot: options.dataDir,
    log: options.log.child({ component: 'cni' }),
    resolveNad: options.resolveNad,
    defaultNetwork: defaultPodNetwork({ dataDir: options.dataDir }),
    ...(options.cniPluginDirs ? { pluginDirs: options.cniPluginDirs } : {}),
    ...(options.nodeNetns ? { runPlugin: execPluginInNetns(options.nodeNetns), host: nodeHostIn(options.nodeNetns) } : {}),
  });
  if (options.nodeNetns || options.hostNetwork || !(options.inInitialNetns ?? inInitialNetns)()) return cni;
  return {
    add: (pod) => Promise.reject(new HostNetworkRefusedError(`${pod.namespace}/${pod.name}`)),
    // DEL only undoes what an ADD did: harmless, and needed for pods attached before a restart.
    del: (pod) => cni.del(pod),
  };
}

/** The runtime's NetworkAttacher on the node's CNI manager. */
export function vmiNetworking(cni: CniManager, log: Logger): NetworkAttacher {
  const networking = createVmiNetworking({ cni, log: log.child({ component: 'network' }) });
  return {
    attach: (vmi, pod, options) => networking.attach(vmi, pod, options),
    detach: (identity, pod) => networking.detach(identity, pod),
  };
}

/** The host NNCPs are applied to: the node namespace, guarded like the CNI manager. */
export function nncpHost(options: { nodeNetns?: string; hostNetwork?: boolean; inInitialNetns?: () => boolean }): NetworkHost {
  const host = createIprouteHost(options.nodeNetns ? { netns: options.nodeNetns } : {});
  if (options.nodeNetns || options.hostNetwork || !(options.inInitialNetns ?? inInitialNetns)()) return host;
  const refuse = () => Promise.reject(new HostNetworkRefusedError('a NodeNetworkConfigurationPolicy'));
  return { read: refuse, run: refuse, ping: refuse };
}
