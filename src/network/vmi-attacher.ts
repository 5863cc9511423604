// A VMI's networks in its pod: CNI ADD for each network (Multus order), then the binding of
// each interface (bridge → in-pod bridge + tap; masquerade → slirp with forwarded ports).
// Shaped like the runtime's NetworkAttacher port; the daemon hands it to the runtime.
import type { Logger } from '../lib/logger.ts';
import { bindBridge, MASQUERADE } from './bindings.ts';
import { networkStatusAnnotation } from './cni/result.ts';
import type { CniManager, CniPod } from './cni/types.ts';
import type { NicPlan } from '../resources/device-plan.ts';
import { cniAttachments } from './vmi-plan.ts';

export const NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';

/** The pod as the runtime names it. */
export interface PodRef {
  uid: string;
  netns: string;
}

/** What attaching needs of a VMI's device plan: who it is and its planned NICs. */
export interface VmiNetworkPlan {
  name: string;
  namespace: string;
  uid: string;
  nics: readonly NicPlan[];
}

/** One guest NIC's backend (the runtime's NicBackend). */
export interface VmiNicBackend {
  name: string;
  tap?: string;
  user?: { net: string; host: string; guest: string; dns: string; forwards: Array<{ protocol: 'tcp' | 'udp'; hostAddress: string; port: number }> };
  /** The pod interface's MAC as CNI reported it (bridge); nicMac decides whether the guest takes it. */
  podMac?: string;
  podInterfaceName?: string;
  ipAddresses?: string[];
  infoSource?: string;
}

const cniPod = (identity: { namespace: string; name: string; uid: string }, pod: PodRef): CniPod => ({
  namespace: identity.namespace,
  name: identity.name,
  uid: identity.uid,
  netns: pod.netns,
  containerId: `pxevirt-${identity.uid}`,
});

/** Creates the VMI networking the runtime calls on start and cleanup. */
export function createVmiNetworking(options: { cni: CniManager; log: Logger }) {
  const { cni, log } = options;
  return {
    async attach(vmi: VmiNetworkPlan, pod: PodRef, attachOptions: { signal?: AbortSignal } = {}): Promise<{ nics: VmiNicBackend[]; annotations?: Record<string, string> }> {
      const plans = vmi.nics;
      if (plans.length === 0) return { nics: [] };
      const identity = { namespace: vmi.namespace, name: vmi.name, uid: vmi.uid };
      const p = cniPod(identity, pod);
      const results = await cni.add(p, cniAttachments(plans), attachOptions.signal ? { signal: attachOptions.signal } : {});
      try {
        const nics: VmiNicBackend[] = [];
        for (const plan of plans) {
          const r = results.find((x) => x.network === plan.name);
          const ips = (r?.ips ?? []).map((ip) => ip.split('/')[0] ?? ip);
          const nic: VmiNicBackend = { name: plan.name, podInterfaceName: plan.podInterface, infoSource: 'domain, multus-status' };
          if (plan.binding === 'masquerade') {
            // The guest is reached on the pod's address: only declared ports (slirp cannot forward "all").
            const podAddress = ips[0];
            nic.user = { ...MASQUERADE, forwards: podAddress ? plan.ports.map((port) => ({ ...port, hostAddress: podAddress })) : [] };
            if (ips.length > 0) nic.ipAddresses = ips;
          } else {
            if (r?.mac) nic.podMac = r.mac;
            const { tap } = await bindBridge(pod.netns, plan.podInterface);
            nic.tap = tap;
          }
          nics.push(nic);
        }
        return { nics, annotations: { [NETWORK_STATUS_ANNOTATION]: networkStatusAnnotation(results) } };
      } catch (err) {
        await cni.del(p).catch((e: unknown) => log.warn({ uid: identity.uid, err: String(e) }, 'CNI DEL after a failed binding failed'));
        throw err;
      }
    },

    async detach(identity: { namespace: string; name: string; uid: string }, pod: PodRef): Promise<void> {
      await cni.del(cniPod(identity, pod));
    },
  };
}
