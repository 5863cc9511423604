// Pure planning: the iproute2 steps that take the host from what it has to what a policy
// wants (plan), the links a policy touches (takeCheckpoint), and the steps back (restorePlan).
import { UnsupportedDesiredStateError } from './errors.ts';
import type { Checkpoint, DesiredInterface, HostState, Ipv4Address, LinkSnapshot, LinkState, PortVlan, Step } from './types.ts';

const sameAddress = (a: Ipv4Address, b: Ipv4Address): boolean => a.ip === b.ip && a.prefix === b.prefix;
const missingFrom = (list: Ipv4Address[], from: Ipv4Address[]): Ipv4Address[] => list.filter((a) => !from.some((b) => sameAddress(a, b)));
/** Links the kernel can delete outright; other devices (NICs, veths) are taken down instead. */
const deletable = (kind: string): boolean => kind === 'bridge' || kind === 'vlan';

function indexLinks(state: HostState): Map<string, LinkState> {
  return new Map(state.links.map((l) => [l.name, l]));
}

/** The `bridge vlan add` steps for one port's nmstate vlan settings. */
export function portVlanSteps(port: string, vlan: PortVlan): Step[] {
  const steps: Step[] = [];
  if (vlan.mode === 'access' || (vlan.mode === undefined && vlan.tag !== undefined && vlan.trunkTags.length === 0)) {
    if (vlan.tag !== undefined) steps.push({ op: 'addPortVlan', name: port, vid: vlan.tag, pvid: true, untagged: true });
    return steps;
  }
  for (const t of vlan.trunkTags) {
    if ('id' in t) steps.push({ op: 'addPortVlan', name: port, vid: t.id, pvid: false, untagged: false });
    else steps.push({ op: 'addPortVlan', name: port, vid: t.min, vidEnd: t.max, pvid: false, untagged: false });
  }
  if (vlan.enableNative === true && vlan.tag !== undefined) steps.push({ op: 'addPortVlan', name: port, vid: vlan.tag, pvid: true, untagged: true });
  return steps;
}

function addressSteps(name: string, have: Ipv4Address[], want: Ipv4Address[]): Step[] {
  return [
    ...missingFrom(have, want).map((address): Step => ({ op: 'delAddress', name, address })),
    ...missingFrom(want, have).map((address): Step => ({ op: 'addAddress', name, address })),
  ];
}

/**
 * The steps from `current` to `desired`, in an order the kernel accepts: removals, new bridges
 * and VLAN devices, bridge ports, then MTU, MAC, addresses and up/down. Empty when nothing
 * differs. Throws UnsupportedDesiredStateError when a name is taken by a link of another kind.
 * Links it does not see are assumed to exist (the kernel reports them missing when applying).
 */
export function plan(current: HostState, desired: DesiredInterface[]): Step[] {
  const links = indexLinks(current);
  const removals: Step[] = [];
  const creations: Step[] = [];
  const ports: Step[] = [];
  const settings: Step[] = [];
  const downByPolicy = new Set(desired.filter((d) => d.state === 'down').map((d) => d.name));

  desired.forEach((d, i) => {
    const cur = links.get(d.name);
    if (d.state === 'absent') {
      if (!cur) return;
      if (deletable(cur.kind)) {
        removals.push({ op: 'deleteLink', name: d.name });
        return;
      }
      if (cur.master !== undefined) removals.push({ op: 'noMaster', name: d.name });
      for (const address of cur.addresses) removals.push({ op: 'delAddress', name: d.name, address });
      if (cur.up) removals.push({ op: 'setDown', name: d.name });
      return;
    }
    if (d.type === 'linux-bridge') {
      if (cur && cur.kind !== 'bridge') throw new UnsupportedDesiredStateError(`spec.desiredState.interfaces[${i}].type`, `an existing ${cur.kind || 'device'} link named ${d.name}`, 'linux-bridge to match the existing link, or another name');
      if (!cur) creations.push({ op: 'createBridge', name: d.name, stp: d.bridge?.stp ?? false });
      else if (d.bridge?.stp !== undefined && cur.stp !== d.bridge.stp) creations.push({ op: 'setStp', name: d.name, stp: d.bridge.stp });
      const wanted = d.bridge?.ports;
      if (wanted) {
        const vlanPorts = wanted.filter((p) => p.vlan !== undefined);
        if (vlanPorts.length > 0 && cur?.vlanFiltering !== true) ports.push({ op: 'setVlanFiltering', name: d.name, on: true });
        for (const p of wanted) {
          const pc = links.get(p.name);
          if (pc?.master !== d.name) ports.push({ op: 'setMaster', name: p.name, master: d.name });
          if (!pc?.up && !downByPolicy.has(p.name)) ports.push({ op: 'setUp', name: p.name });
          if (p.vlan) ports.push(...portVlanSteps(p.name, p.vlan));
        }
        for (const l of current.links) {
          if (l.master === d.name && !wanted.some((p) => p.name === l.name)) ports.unshift({ op: 'noMaster', name: l.name });
        }
      }
    } else if (d.type === 'vlan') {
      if (cur && cur.kind !== 'vlan') throw new UnsupportedDesiredStateError(`spec.desiredState.interfaces[${i}].type`, `an existing ${cur.kind || 'device'} link named ${d.name}`, 'vlan to match the existing link, or another name');
      if (!cur && d.vlan) creations.push({ op: 'createVlan', name: d.name, base: d.vlan.base, id: d.vlan.id });
    }
    if (d.mac !== undefined && cur?.mac !== d.mac) settings.push({ op: 'setMac', name: d.name, mac: d.mac });
    if (d.mtu !== undefined && cur?.mtu !== d.mtu) settings.push({ op: 'setMtu', name: d.name, mtu: d.mtu });
    if (d.ipv4) settings.push(...addressSteps(d.name, cur?.addresses ?? [], d.ipv4.enabled ? d.ipv4.addresses : []));
    if (d.state === 'up' && !cur?.up) settings.push({ op: 'setUp', name: d.name });
    if (d.state === 'down' && (cur === undefined || cur.up)) settings.push({ op: 'setDown', name: d.name });
  });
  return [...removals, ...creations, ...ports, ...settings];
}

/** Every link a policy may change: its interfaces, their wanted and current ports, ports of bridges it removes. */
export function touchedLinks(current: HostState, desired: DesiredInterface[]): string[] {
  const names = new Set<string>();
  for (const d of desired) {
    names.add(d.name);
    for (const p of d.bridge?.ports ?? []) names.add(p.name);
    if (d.type === 'linux-bridge' || d.state === 'absent') for (const l of current.links) if (l.master === d.name) names.add(l.name);
  }
  return [...names];
}

/** The state of every touched link before applying (a missing link is recorded as absent). */
export function takeCheckpoint(current: HostState, desired: DesiredInterface[]): Checkpoint {
  const links = indexLinks(current);
  const snapshots = touchedLinks(current, desired).map((name): LinkSnapshot => {
    const l = links.get(name);
    return l ? structuredClone(l) : { name, absent: true };
  });
  return { links: snapshots, ...(current.defaultRoute ? { defaultRoute: { ...current.defaultRoute } } : {}) };
}

/**
 * The steps from `current` back to a checkpoint: links created since are deleted, deleted
 * bridges recreated, then masters, MTU, MAC, addresses, STP and up/down restored. `lost`
 * names links that were deleted and cannot be recreated (only bridges can).
 */
export function restorePlan(current: HostState, checkpoint: Checkpoint): { steps: Step[]; lost: string[] } {
  const links = indexLinks(current);
  const removals: Step[] = [];
  const creations: Step[] = [];
  const masters: Step[] = [];
  const settings: Step[] = [];
  const lost: string[] = [];
  for (const snap of checkpoint.links) {
    const cur = links.get(snap.name);
    if (snap.absent === true) {
      if (cur) removals.push({ op: 'deleteLink', name: snap.name });
      continue;
    }
    if (!cur) {
      if (snap.kind !== 'bridge') {
        lost.push(snap.name);
        continue;
      }
      creations.push({ op: 'createBridge', name: snap.name, stp: snap.stp ?? false });
    }
    if (snap.master !== cur?.master) {
      if (snap.master !== undefined) masters.push({ op: 'setMaster', name: snap.name, master: snap.master });
      else if (cur?.master !== undefined) masters.unshift({ op: 'noMaster', name: snap.name });
    }
    if (snap.kind === 'bridge') {
      if (cur && snap.stp !== undefined && cur.stp !== snap.stp) settings.push({ op: 'setStp', name: snap.name, stp: snap.stp });
      if (cur?.vlanFiltering === true && snap.vlanFiltering !== true) settings.push({ op: 'setVlanFiltering', name: snap.name, on: false });
    }
    if (cur?.mtu !== snap.mtu) settings.push({ op: 'setMtu', name: snap.name, mtu: snap.mtu });
    if (snap.mac !== undefined && cur?.mac !== snap.mac) settings.push({ op: 'setMac', name: snap.name, mac: snap.mac });
    settings.push(...addressSteps(snap.name, cur?.addresses ?? [], snap.addresses));
    if (snap.up && !cur?.up) settings.push({ op: 'setUp', name: snap.name });
    if (!snap.up && cur?.up) settings.push({ op: 'setDown', name: snap.name });
  }
  return { steps: [...removals, ...creations, ...masters, ...settings], lost };
}
