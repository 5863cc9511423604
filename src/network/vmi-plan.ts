// Which CNI attachments and bindings a VMI's interfaces need: pure, from the defaulted spec.
// The pod network becomes eth0; multus networks net1, net2 … in spec.networks order (Multus
// names additional networks by their index).
import { normalizeMac } from '../lib/mac.ts';
import type { CniAttachment } from './cni/types.ts';
import { isObject as isObj } from '../lib/is-object.ts';

export type Binding = 'bridge' | 'masquerade';

/** One VMI interface: its network, binding, pod interface and forwarded ports. */
export interface InterfacePlan {
  /** The interface/network name (they are equal in KubeVirt). */
  name: string;
  binding: Binding;
  source: 'pod' | 'multus';
  /** The pod-side interface CNI creates: eth0, net1 … */
  podInterface: string;
  /** The NAD reference for multus networks. */
  networkName?: string;
  /** The interface's macAddress, normalized. */
  mac?: string;
  /** Declared ports (masquerade): only these are forwarded. */
  ports: Array<{ protocol: 'tcp' | 'udp'; port: number }>;
}

/** A VMI's spec asks for something the networking layer does not do. */
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

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** The interfaces of a VMI spec with their networks, in the interfaces' order. */
export function planInterfaces(spec: Obj): InterfacePlan[] {
  const devices = isObj(spec.domain) && isObj(spec.domain.devices) ? spec.domain.devices : {};
  const networks = list(spec.networks);
  let multusIndex = 0;
  const podInterfaceOf = new Map<string, string>();
  for (const n of networks) {
    const name = String(n.name ?? '');
    if (isObj(n.pod)) podInterfaceOf.set(name, 'eth0');
    else if (isObj(n.multus)) podInterfaceOf.set(name, `net${++multusIndex}`);
  }
  return list(devices.interfaces).map((iface, i) => {
    const name = String(iface.name ?? '');
    const network = networks.find((n) => n.name === name);
    const at = `spec.domain.devices.interfaces[${i}]`;
    if (!network) throw new NetworkPlanError(`${at}.name`, 'a network of the same name in spec.networks', name);
    const binding: Binding | undefined = isObj(iface.masquerade) ? 'masquerade' : isObj(iface.bridge) ? 'bridge' : undefined;
    if (!binding) throw new NetworkPlanError(at, 'a bridge or masquerade binding (pxevirt implements these two)', Object.keys(iface).filter((k) => !['name', 'macAddress', 'model', 'bootOrder', 'ports', 'pciAddress'].includes(k)));
    const source = isObj(network.multus) ? 'multus' : 'pod';
    const plan: InterfacePlan = { name, binding, source, podInterface: podInterfaceOf.get(name) ?? 'eth0', ports: [] };
    if (source === 'multus' && isObj(network.multus)) plan.networkName = String(network.multus.networkName ?? '');
    const mac = typeof iface.macAddress === 'string' ? normalizeMac(iface.macAddress) : undefined;
    if (mac) plan.mac = mac;
    plan.ports = list(iface.ports).map((p, j) => {
      const port = Number(p.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NetworkPlanError(`${at}.ports[${j}].port`, 'a port from 1 to 65535', p.port);
      const protocol = String(p.protocol ?? 'TCP').toLowerCase();
      if (protocol !== 'tcp' && protocol !== 'udp') throw new NetworkPlanError(`${at}.ports[${j}].protocol`, 'TCP or UDP', p.protocol);
      return { protocol, port };
    });
    return plan;
  });
}

/** The CNI attachments for the planned interfaces, pod network first, then multus in order. */
export function cniAttachments(plans: readonly InterfacePlan[]): CniAttachment[] {
  const order = (p: InterfacePlan): number => (p.source === 'pod' ? 0 : Number(p.podInterface.slice(3)));
  return [...plans]
    .sort((a, b) => order(a) - order(b))
    .map((p) => {
      const a: CniAttachment = { network: p.name, ifname: p.podInterface };
      if (p.networkName !== undefined) a.networkName = p.networkName;
      // The requested MAC goes to the pod interface of a multus network (tuning sets it);
      // the guest gets it either way. Masquerade's pod interface keeps its own.
      if (p.mac && p.source === 'multus') a.mac = p.mac;
      return a;
    });
}
