// The guest NICs of a VMI: its planned NICs (resources/nic-plan.ts) with the backends (taps
// or slirp in the pod) the networking layer gives them, and the MAC nicMac decides.
import { nicMac, type DevicePlan } from '../resources/device-plan.ts';
import type { Pod } from './pod.ts';
import type { ResolvedNic, UserNetdev } from './qemu-args.ts';

export { generatedMac } from '../resources/device-plan.ts';

/** What the networking layer made for one VMI interface. */
export interface NicBackend {
  /** The VMI network/interface name. */
  name: string;
  /** A tap in the pod (bridge binding). */
  tap?: string;
  /** A slirp network (masquerade binding). */
  user?: UserNetdev;
  /** The pod interface's MAC as CNI reported it (bridge); nicMac decides whether the guest takes it. */
  podMac?: string;
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
  /** Attaches the planned NICs' networks to the VMI's pod; throws (after undoing its own work) on failure. */
  attach(plan: Pick<DevicePlan, 'name' | 'namespace' | 'uid' | 'nics'>, pod: Pod, options?: { signal?: AbortSignal }): Promise<NetworkAttachment>;
  /** Undoes attach (CNI DEL from its cache); idempotent, works after a daemon restart. */
  detach(vmi: { namespace: string; name: string; uid: string }, pod: Pod): Promise<void>;
}

/** The guest NICs of a plan, in order, with their backends and MACs. */
export function nicsFor(plan: Pick<DevicePlan, 'uid' | 'nics'>, backends: readonly NicBackend[]): ResolvedNic[] {
  return plan.nics.map((planned) => {
    const backend = backends.find((b) => b.name === planned.name);
    const nic: ResolvedNic = { name: planned.name, mac: nicMac(planned, plan.uid, backend?.podMac), model: planned.model };
    if (backend?.tap !== undefined) nic.tap = backend.tap;
    if (backend?.user !== undefined) nic.user = backend.user;
    if (planned.bootOrder !== undefined) nic.bootOrder = planned.bootOrder;
    return nic;
  });
}
