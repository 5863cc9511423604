// The guest NICs of a VMI: its interfaces with MACs, models and boot order, and the backends
// (taps or slirp in the pod) the networking layer gives them.
import { createHash } from 'node:crypto';
import { normalizeMac } from '../lib/mac.ts';
import type { Pod } from './pod.ts';
import type { ResolvedNic, UserNetdev } from './qemu-args.ts';
import type { VmiObject } from './types.ts';
import { isObject as isObj } from '../lib/is-object.ts';

/** What the networking layer made for one VMI interface. */
export interface NicBackend {
  /** The VMI network/interface name. */
  name: string;
  /** A tap in the pod (bridge binding). */
  tap?: string;
  /** A slirp network (masquerade binding). */
  user?: UserNetdev;
  /** The guest NIC's MAC when the backend decides it (the pod interface's, without macAddress). */
  mac?: string;
  /** The pod-side interface (eth0, net1 …). */
  podInterfaceName?: string;
  /** Addresses known for this interface (the pod's for masquerade; none for L2-only). */
  ipAddresses?: string[];
  /** status.interfaces[].infoSource, e.g. "domain, multus-status". */
  infoSource?: string;
}

/** What attach() returns: the NIC backends and annotations for the VMI (network-status). */
export interface NetworkAttachment {
  nics: NicBackend[];
  annotations?: Record<string, string>;
}

/** The networking layer as the runtime sees it: wires a VMI's interfaces in its pod, and undoes it. */
export interface NetworkAttacher {
  /** Attaches the VMI's networks to its pod; throws (after undoing its own work) on failure. */
  attach(vmi: VmiObject, pod: Pod, options?: { signal?: AbortSignal }): Promise<NetworkAttachment>;
  /** Undoes attach (CNI DEL from its cache); idempotent, works after a daemon restart. */
  detach(vmi: { namespace: string; name: string; uid: string }, pod: Pod): Promise<void>;
}

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** A stable locally administered MAC for an interface without macAddress (when no pool gave one). */
export function generatedMac(uid: string, name: string): string {
  const h = createHash('sha256').update(`${uid}/${name}`).digest();
  const bytes = [0x02, h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0, h[4] ?? 0];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The NICs for spec.domain.devices.interfaces, in order; MAC from macAddress, the backend, or generated. */
export function nicsFor(vmi: VmiObject, backends: readonly NicBackend[]): ResolvedNic[] {
  const devices = isObj(vmi.spec.domain) && isObj(vmi.spec.domain.devices) ? vmi.spec.domain.devices : {};
  return list(devices.interfaces).map((iface, i) => {
    const name = String(iface.name ?? `net${i}`);
    const backend = backends.find((b) => b.name === name);
    const mac = normalizeMac(typeof iface.macAddress === 'string' ? iface.macAddress : (backend?.mac ?? generatedMac(vmi.metadata.uid, name))) ?? generatedMac(vmi.metadata.uid, name);
    const nic: ResolvedNic = { name, mac, model: typeof iface.model === 'string' && iface.model !== '' ? iface.model : 'virtio' };
    if (backend?.tap !== undefined) nic.tap = backend.tap;
    if (backend?.user !== undefined) nic.user = backend.user;
    if (typeof iface.bootOrder === 'number') nic.bootOrder = iface.bootOrder;
    return nic;
  });
}
