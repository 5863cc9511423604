// The contract of pxevirt's CNI layer: what Multus does for a pod, done for a VMI's or a
// PXEServer's network namespace with the real plugin binaries (/usr/lib/cni).

/** The pod the networks are attached to (a VMI's or a PXEServer's). */
export interface CniPod {
  /** Kubernetes identity, for CNI_ARGS (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID). */
  namespace: string;
  name: string;
  uid: string;
  /** Network namespace name (a file under /run/netns); CNI_NETNS is its path. */
  netns: string;
  /** CNI_CONTAINERID (and K8S_POD_INFRA_CONTAINER_ID); stable for the pod's lifetime. */
  containerId: string;
}

/** One network to attach, in the order they are attached. */
export interface CniAttachment {
  /** The VMI's network name (spec.networks[].name), e.g. `default`, `pxe-net`. */
  network: string;
  /** CNI_IFNAME inside the pod: eth0 for the pod network, net1, net2 … for multus ones. */
  ifname: string;
  /**
   * A multus network: `networkName` as written (`name` or `namespace/name`; a bare name is
   * looked up in the pod's namespace). Absent: the node's default pod network.
   */
  networkName?: string;
  /** runtimeConfig.mac (the interface's macAddress), passed to plugins with the `mac` capability. */
  mac?: string;
}

/** A CNI result (any version 0.3.0–1.0.0), as printed by the last plugin of the chain. */
export interface CniResult {
  cniVersion: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number; version?: string }>;
  routes?: Array<{ dst: string; gw?: string }>;
  dns?: { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] };
  [k: string]: unknown;
}

/** What one attachment gave the pod. */
export interface CniAttachmentResult {
  network: string;
  ifname: string;
  /** `namespace/name` of the NAD, or the default network's name for the pod network. */
  networkName: string;
  /** true for the pod network (exactly one per pod has it, when there is a pod network). */
  default: boolean;
  /** The pod-side interface's MAC as the result reports it (after tuning). */
  mac: string;
  /** Addresses in CIDR form from the result's ips for this interface ([] without IPAM). */
  ips: string[];
  gateway?: string;
  result: CniResult;
}

/** Runs CNI ADD/DEL for pods, the way Multus does. */
export interface CniManager {
  /**
   * ADD each attachment in order (conflists plugin by plugin with prevResult); caches each
   * network's config and result on disk. Any failure DELs what was added (reverse order)
   * and throws a CniError naming the network, the plugin and the plugin's message.
   */
  add(pod: CniPod, attachments: readonly CniAttachment[], options?: { signal?: AbortSignal }): Promise<CniAttachmentResult[]>;
  /**
   * DEL every network cached for the pod, in reverse order, from the cached configs (works
   * after the NAD is deleted or the daemon restarted); tolerates repeats and missing state;
   * tries every network and throws one error joining the failures; removes the cache.
   */
  del(pod: CniPod): Promise<void>;
}
