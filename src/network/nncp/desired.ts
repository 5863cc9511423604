// desiredState (nmstate's document, as admitted by nncp-kind.ts) → typed DesiredInterface[].
import { isObj, listAt, objAt, type Obj } from '../../resources/object-path.ts';
import { UnsupportedDesiredStateError } from './errors.ts';
import type { DesiredInterface, DesiredPort, InterfaceStateName, InterfaceType, PortVlan } from './types.ts';

const shown = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

function portVlan(v: Obj): PortVlan {
  return {
    ...(v.mode === 'access' || v.mode === 'trunk' ? { mode: v.mode } : {}),
    ...(typeof v.tag === 'number' ? { tag: v.tag } : {}),
    ...(typeof v['enable-native'] === 'boolean' ? { enableNative: v['enable-native'] } : {}),
    trunkTags: listAt(v, 'trunk-tags').map((t) => {
      const range = objAt(t, 'id-range');
      return range ? { min: Number(range.min), max: Number(range.max) } : { id: Number(t.id) };
    }),
  };
}

function parseInterface(o: Obj, at: string): DesiredInterface {
  const out: DesiredInterface = { name: String(o.name), state: (o.state as InterfaceStateName | undefined) ?? 'up' };
  if (typeof o.type === 'string') out.type = o.type as InterfaceType;
  if (typeof o.mtu === 'number') out.mtu = o.mtu;
  if (typeof o['mac-address'] === 'string') out.mac = o['mac-address'].toLowerCase();
  const ipv4 = objAt(o, 'ipv4');
  if (ipv4) {
    if (ipv4.dhcp === true) throw new UnsupportedDesiredStateError(`${at}.ipv4.dhcp`, 'true', 'false (pxevirt configures static IPv4 addresses only)');
    const addresses = listAt(ipv4, 'address').map((a) => ({ ip: String(a.ip), prefix: Number(a['prefix-length']) }));
    out.ipv4 = { enabled: ipv4.enabled !== false && (ipv4.enabled === true || addresses.length > 0), addresses };
  }
  const ipv6 = objAt(o, 'ipv6');
  if (ipv6 && (ipv6.dhcp === true || ipv6.autoconf === true || listAt(ipv6, 'address').length > 0)) {
    throw new UnsupportedDesiredStateError(`${at}.ipv6`, shown(ipv6), '{enabled: false} or nothing (pxevirt does not configure IPv6)');
  }
  const bridge = objAt(o, 'bridge');
  if (bridge) {
    const options = objAt(bridge, 'options');
    const stp = objAt(options, 'stp')?.enabled;
    out.bridge = {};
    if (typeof stp === 'boolean') out.bridge.stp = stp;
    if (Array.isArray(bridge.port)) {
      out.bridge.ports = listAt(bridge, 'port').map((p): DesiredPort => {
        const vlan = objAt(p, 'vlan');
        return { name: String(p.name), ...(vlan ? { vlan: portVlan(vlan) } : {}) };
      });
    }
    // nmstate's bridge-wide vlan settings ask for vlan filtering like port settings do.
    if (isObj(options?.vlan) || options?.['vlan-protocol'] !== undefined) out.bridge.ports = (out.bridge.ports ?? []).map((p) => ({ ...p, vlan: p.vlan ?? { trunkTags: [] } }));
  }
  const vlan = objAt(o, 'vlan');
  if (vlan) out.vlan = { base: String(vlan['base-iface']), id: Number(vlan.id) };
  return out;
}

/** Parses spec.desiredState; throws UnsupportedDesiredStateError for what the engine cannot do. */
export function parseDesiredState(desiredState: unknown): DesiredInterface[] {
  const state = isObj(desiredState) ? desiredState : {};
  const routes = listAt(objAt(state, 'routes'), 'config');
  if (routes.length > 0) throw new UnsupportedDesiredStateError('spec.desiredState.routes.config', `${routes.length} route(s)`, 'no routes (pxevirt applies interfaces only)');
  const dns = objAt(objAt(state, 'dns-resolver'), 'config');
  if (dns && Object.keys(dns).length > 0) throw new UnsupportedDesiredStateError('spec.desiredState.dns-resolver.config', shown(dns), 'nothing (pxevirt applies interfaces only)');
  return listAt(state, 'interfaces').map((o, i) => parseInterface(o, `spec.desiredState.interfaces[${i}]`));
}
