// BMC actions in a PXE boot timeline, pure: the Redfish BMC records each action as an Event on
// the VM (BMCBootOverride, BMCReset, BMCVirtualMedia); a PXEServer's status shows one among a
// host's boot events when it led to a network boot — this host's DHCP follows it within
// LEAD_MS. Bounded: the newest MAX_ACTIONS BMC Events are considered, and the merged timeline
// keeps the host's newest events only.
import { isObject as isObj } from '../lib/is-object.ts';
import type { PxeVm } from '../resources/pxe-server.ts';

/** One BMC action on a VM, for the timelines of its MACs. */
export interface BmcAction {
  mac: string;
  time: string;
  /** The Event's reason (BMCReset, BMCBootOverride, BMCVirtualMedia). */
  event: string;
  message: string;
}

/** The component the BMC's Events name (daemon.ts records them so). */
export const BMC_COMPONENT = 'pxevirt-bmc';
/** BMC Events considered (newest first), however many the store holds. */
export const MAX_ACTIONS = 200;
/** An action leads to a network boot when this host's DHCP follows it within this long. */
export const LEAD_MS = 5 * 60_000;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The BMC actions of VMs on the server's network, one per (action, MAC); `vms` are the VMs and VMIs there. */
export function bmcActions(events: readonly unknown[], vms: readonly PxeVm[]): BmcAction[] {
  // A VM's MACs: its template's and its VMI's (status.interfaces), by namespace/name.
  const macs = new Map<string, Set<string>>();
  for (const vm of vms) {
    const key = `${vm.namespace}/${vm.name}`;
    const set = macs.get(key) ?? new Set<string>();
    for (const m of vm.macs) set.add(m);
    macs.set(key, set);
  }
  const bmc = events
    .filter(isObj)
    .filter((e) => isObj(e.source) && e.source.component === BMC_COMPONENT && isObj(e.involvedObject) && e.involvedObject.kind === 'VirtualMachine')
    .map((e) => ({ e, time: str(e.lastTimestamp) ?? str(e.firstTimestamp) ?? str(e.eventTime) }))
    .filter((x): x is { e: Record<string, unknown>; time: string } => x.time !== undefined && Number.isFinite(Date.parse(x.time)))
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
    .slice(0, MAX_ACTIONS);
  return bmc.flatMap(({ e, time }) => {
    const o = e.involvedObject as Record<string, unknown>;
    const vmMacs = macs.get(`${str(o.namespace) ?? 'default'}/${str(o.name) ?? ''}`);
    const reason = str(e.reason);
    if (!vmMacs || !reason) return [];
    return [...vmMacs].map((mac) => ({ mac, time, event: reason, message: str(e.message) ?? reason }));
  });
}

const NETWORK_BOOT = new Set(['dhcp', 'dhcp6']);

/**
 * A host's boot events with the BMC actions that led to its network boots, in time order
 * (an action before the network events of the same second), the newest `keep` kept.
 */
export function withBmcActions(events: readonly Record<string, unknown>[], mac: string, actions: readonly BmcAction[], keep: number): Record<string, unknown>[] {
  const boots = events.filter((e) => NETWORK_BOOT.has(e.proto as string)).map((e) => Date.parse(e.time as string));
  const led = actions.filter((a) => {
    if (a.mac !== mac) return false;
    const t = Date.parse(a.time);
    return boots.some((b) => b >= t && b - t <= LEAD_MS);
  });
  if (led.length === 0) return events.slice(-keep);
  const merged = [...led.map((a) => ({ time: a.time, proto: 'bmc', event: a.event, message: a.message })), ...events]
    .map((e, i) => ({ e, i, t: Date.parse(e.time as string) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.e);
  return merged.slice(-keep);
}
