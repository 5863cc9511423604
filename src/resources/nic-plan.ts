// The guest NICs of a VMI, planned once from the typed spec: each interface's network and
// binding, the pod interface CNI creates for it (the pod network is eth0; multus networks are
// net1, net2 … in spec.networks order, as Multus names them), model, boot index, requested
// MAC and forwarded ports. nicMac is the one rule for the MAC the guest NIC gets.
import { createHash } from 'node:crypto';
import { normalizeMac } from '../lib/mac.ts';
import { bootIndex } from './boot-index.ts';
import type { VmiSpec } from './vmi-schema.ts';

export type Binding = 'bridge' | 'masquerade';

/** One VMI interface, planned. */
export interface NicPlan {
  /** The interface/network name (they are equal in KubeVirt). */
  name: string;
  binding: Binding;
  source: 'pod' | 'multus';
  /** The pod-side interface CNI creates: eth0, net1 … */
  podInterface: string;
  /** The NAD reference for multus networks. */
  networkName?: string;
  /** The interface's macAddress, normalized; absent when the spec asks for none. */
  mac?: string;
  /** KubeVirt's model name; virtio when the spec names none. */
  model: string;
  /** The boot index (bootIndex's rule); a NIC without one is never PXE-tried. */
  bootOrder?: number;
  /** Declared ports (masquerade): only these are forwarded. */
  ports: Array<{ protocol: 'tcp' | 'udp'; port: number }>;
}

/** A VMI's spec asks for networking pxevirt does not do. */
export class NetworkPlanError extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly found: unknown,
  ) {
    super(`${field}: expected ${expected}, found ${JSON.stringify(found)}`);
    this.name = 'NetworkPlanError';
  }
}

const PLAIN_FIELDS = ['name', 'macAddress', 'model', 'bootOrder', 'ports', 'pciAddress'];

/** The interfaces of a VMI spec with their networks, in the interfaces' order. */
export function planNics(spec: VmiSpec): NicPlan[] {
  const networks = spec.networks ?? [];
  let multusIndex = 0;
  const podInterfaceOf = new Map<string, string>();
  for (const n of networks) {
    if (n.pod) podInterfaceOf.set(n.name, 'eth0');
    else if (n.multus) podInterfaceOf.set(n.name, `net${++multusIndex}`);
  }
  return (spec.domain.devices.interfaces ?? []).map((iface, i) => {
    const at = `spec.domain.devices.interfaces[${i}]`;
    const network = networks.find((n) => n.name === iface.name);
    if (!network) throw new NetworkPlanError(`${at}.name`, 'a network of the same name in spec.networks', iface.name);
    const binding: Binding | undefined = iface.masquerade ? 'masquerade' : iface.bridge ? 'bridge' : undefined;
    if (!binding) throw new NetworkPlanError(at, 'a bridge or masquerade binding (pxevirt implements these two)', Object.keys(iface).filter((k) => !PLAIN_FIELDS.includes(k)));
    const plan: NicPlan = {
      name: iface.name,
      binding,
      source: network.multus ? 'multus' : 'pod',
      podInterface: podInterfaceOf.get(iface.name) ?? 'eth0',
      model: iface.model !== undefined && iface.model !== '' ? iface.model : 'virtio',
      ports: (iface.ports ?? []).map((p, j) => {
        if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new NetworkPlanError(`${at}.ports[${j}].port`, 'a port from 1 to 65535', p.port);
        const protocol = (p.protocol ?? 'TCP').toLowerCase();
        if (protocol !== 'tcp' && protocol !== 'udp') throw new NetworkPlanError(`${at}.ports[${j}].protocol`, 'TCP or UDP', p.protocol);
        return { protocol, port: p.port };
      }),
    };
    if (network.multus) plan.networkName = network.multus.networkName;
    const mac = iface.macAddress === undefined ? undefined : normalizeMac(iface.macAddress);
    if (mac) plan.mac = mac;
    const boot = bootIndex(iface.bootOrder);
    if (boot !== undefined) plan.bootOrder = boot;
    return plan;
  });
}

/** A stable locally administered MAC for an interface without macAddress (when no pool gave one). */
export function generatedMac(uid: string, name: string): string {
  const h = createHash('sha256').update(`${uid}/${name}`).digest();
  const bytes = [0x02, h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0, h[4] ?? 0];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * The MAC the guest NIC gets: the requested macAddress; else, on a bridge binding, the pod
 * interface's MAC as CNI reported it (the guest takes it over, as in KubeVirt); else one
 * generated from the VMI's uid and the interface name. Masquerade's pod interface keeps its own.
 */
export function nicMac(nic: NicPlan, uid: string, podMac?: string): string {
  const cni = nic.binding === 'bridge' && podMac !== undefined ? normalizeMac(podMac) : undefined;
  return nic.mac ?? cni ?? generatedMac(uid, nic.name);
}
