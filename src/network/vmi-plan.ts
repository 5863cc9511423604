// Which CNI attachments a VMI's planned NICs need (the NIC plan is resources/nic-plan.ts):
// pure. The pod network is attached first, then multus networks in their net1, net2 … order.
import type { NicPlan } from '../resources/device-plan.ts';
import type { CniAttachment } from './cni/types.ts';

export { NetworkPlanError, type Binding, type NicPlan } from '../resources/device-plan.ts';

/** The CNI attachments for the planned NICs, pod network first, then multus in order. */
export function cniAttachments(plans: readonly NicPlan[]): CniAttachment[] {
  const order = (p: NicPlan): number => (p.source === 'pod' ? 0 : Number(p.podInterface.slice(3)));
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
