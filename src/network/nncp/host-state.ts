// Parses `ip -j -d link show`, `ip -j -4 addr show` and `ip -j -4 route show default` into a
// HostState (pure: the commands are run by host.ts).
import type { DefaultRoute, HostState, Ipv4Address, LinkState } from './types.ts';

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (text: string): Json[] => {
  const v: unknown = text.trim() === '' ? [] : JSON.parse(text);
  return Array.isArray(v) ? v.filter(isJson) : [];
};

/** The host's links with their IPv4 addresses and the default route. */
export function parseHostState(linkJson: string, addrJson: string, routeJson: string): HostState {
  const addresses = new Map<string, Ipv4Address[]>();
  for (const entry of list(addrJson)) {
    const infos = Array.isArray(entry.addr_info) ? entry.addr_info.filter(isJson) : [];
    const v4 = infos.filter((a) => a.family === 'inet' && typeof a.local === 'string').map((a) => ({ ip: String(a.local), prefix: Number(a.prefixlen) }));
    addresses.set(String(entry.ifname), v4);
  }
  const links = list(linkJson).map((l): LinkState => {
    const name = String(l.ifname);
    const info = isJson(l.linkinfo) ? l.linkinfo : {};
    const kind = typeof info.info_kind === 'string' ? info.info_kind : '';
    const data = isJson(info.info_data) ? info.info_data : {};
    const flags = Array.isArray(l.flags) ? l.flags : [];
    const link: LinkState = { name, kind, mtu: Number(l.mtu), up: flags.includes('UP'), addresses: addresses.get(name) ?? [] };
    if (typeof l.master === 'string') link.master = l.master;
    if (typeof l.address === 'string') link.mac = l.address;
    if (kind === 'bridge') {
      link.stp = Number(data.stp_state ?? 0) !== 0;
      link.vlanFiltering = Number(data.vlan_filtering ?? 0) !== 0;
    }
    return link;
  });
  const route = list(routeJson).find((r) => r.dst === 'default');
  const state: HostState = { links };
  if (route) {
    const defaultRoute: DefaultRoute = {};
    if (typeof route.gateway === 'string') defaultRoute.gateway = route.gateway;
    if (typeof route.dev === 'string') defaultRoute.dev = route.dev;
    state.defaultRoute = defaultRoute;
  }
  return state;
}
