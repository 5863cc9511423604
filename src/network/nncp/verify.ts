// Compares what the host shows after applying with what the policy asked for (pure).
import type { Checkpoint, DesiredInterface, HostState, Ipv4Address } from './types.ts';

const text = (list: Ipv4Address[]): string => (list.length === 0 ? 'none' : list.map((a) => `${a.ip}/${a.prefix}`).sort().join(', '));

/** What differs from the desired interfaces, one sentence each (empty when all match). */
export function verify(state: HostState, desired: DesiredInterface[]): string[] {
  const links = new Map(state.links.map((l) => [l.name, l]));
  const out: string[] = [];
  for (const d of desired) {
    const l = links.get(d.name);
    if (d.state === 'absent') {
      if (!l) continue;
      if (l.kind === 'bridge' || l.kind === 'vlan') out.push(`${d.name}: expected absent, found a ${l.kind}`);
      else if (l.up || l.master !== undefined || l.addresses.length > 0) out.push(`${d.name}: expected down with no master and no addresses, found ${l.up ? 'up' : 'down'}, master ${l.master ?? 'none'}, addresses ${text(l.addresses)}`);
      continue;
    }
    if (!l) {
      out.push(`${d.name}: expected to exist, found nothing`);
      continue;
    }
    if (d.type === 'linux-bridge' && l.kind !== 'bridge') out.push(`${d.name}: expected a bridge, found kind ${l.kind || 'device'}`);
    if (d.type === 'vlan' && l.kind !== 'vlan') out.push(`${d.name}: expected a vlan device, found kind ${l.kind || 'device'}`);
    if (d.bridge?.stp !== undefined && l.stp !== d.bridge.stp) out.push(`${d.name}: expected stp ${d.bridge.stp ? 'on' : 'off'}, found ${l.stp ? 'on' : 'off'}`);
    const ports = d.bridge?.ports;
    if (ports) {
      for (const p of ports) {
        const master = links.get(p.name)?.master;
        if (master !== d.name) out.push(`${p.name}: expected a port of ${d.name}, found master ${master ?? 'none'}`);
      }
      const extra = state.links.filter((x) => x.master === d.name && !ports.some((p) => p.name === x.name)).map((x) => x.name);
      if (extra.length > 0) out.push(`${d.name}: expected ports ${ports.map((p) => p.name).join(', ') || 'none'}, found also ${extra.join(', ')}`);
    }
    if (d.mtu !== undefined && l.mtu !== d.mtu) out.push(`${d.name}: expected mtu ${d.mtu}, found ${l.mtu}`);
    if (d.mac !== undefined && l.mac !== d.mac) out.push(`${d.name}: expected mac ${d.mac}, found ${l.mac ?? 'none'}`);
    if (d.ipv4) {
      const want = text(d.ipv4.enabled ? d.ipv4.addresses : []);
      if (text(l.addresses) !== want) out.push(`${d.name}: expected IPv4 addresses ${want}, found ${text(l.addresses)}`);
    }
    if ((d.state === 'up') !== l.up) out.push(`${d.name}: expected state ${d.state}, found ${l.up ? 'up' : 'down'}`);
  }
  return out;
}

/** What differs from a checkpoint after rolling back (empty when fully restored). */
export function verifyRestored(state: HostState, checkpoint: Checkpoint): string[] {
  const links = new Map(state.links.map((l) => [l.name, l]));
  const out: string[] = [];
  for (const snap of checkpoint.links) {
    const l = links.get(snap.name);
    if (snap.absent === true) {
      if (l) out.push(`${snap.name}: expected absent as before, found a ${l.kind || 'device'}`);
      continue;
    }
    if (!l) {
      out.push(`${snap.name}: expected to exist as before, found nothing`);
      continue;
    }
    if (l.master !== snap.master) out.push(`${snap.name}: expected master ${snap.master ?? 'none'} as before, found ${l.master ?? 'none'}`);
    if (l.mtu !== snap.mtu) out.push(`${snap.name}: expected mtu ${snap.mtu} as before, found ${l.mtu}`);
    if (text(l.addresses) !== text(snap.addresses)) out.push(`${snap.name}: expected addresses ${text(snap.addresses)} as before, found ${text(l.addresses)}`);
    if (l.up !== snap.up) out.push(`${snap.name}: expected ${snap.up ? 'up' : 'down'} as before, found ${l.up ? 'up' : 'down'}`);
  }
  return out;
}
