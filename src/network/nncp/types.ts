// The NNCP apply engine's data: what the host has (read with `ip -j`), what a policy wants
// (nmstate's desiredState, typed), and the iproute2 steps between the two.

/** One IPv4 address on a link, e.g. { ip: '192.168.100.1', prefix: 24 }. */
export interface Ipv4Address {
  ip: string;
  prefix: number;
}

/** One link as the host shows it. */
export interface LinkState {
  name: string;
  /** `bridge`, `veth`, `vlan`, … ('' for a plain device such as a physical NIC or lo). */
  kind: string;
  /** The bridge this link is a port of. */
  master?: string;
  mtu: number;
  /** Administratively up (the UP flag), whatever the carrier. */
  up: boolean;
  mac?: string;
  addresses: Ipv4Address[];
  /** Bridges only. */
  stp?: boolean;
  vlanFiltering?: boolean;
}

/** The default route, if the host has one. */
export interface DefaultRoute {
  gateway?: string;
  dev?: string;
}

export interface HostState {
  links: LinkState[];
  defaultRoute?: DefaultRoute;
}

export type InterfaceType = 'linux-bridge' | 'ethernet' | 'vlan';
export type InterfaceStateName = 'up' | 'down' | 'absent';

/** A bridge port's VLAN settings (nmstate `bridge.port[].vlan`). */
export interface PortVlan {
  mode?: 'access' | 'trunk';
  tag?: number;
  enableNative?: boolean;
  trunkTags: Array<{ id: number } | { min: number; max: number }>;
}

export interface DesiredPort {
  name: string;
  vlan?: PortVlan;
}

/** One entry of desiredState.interfaces, with nmstate's defaults made explicit where they matter. */
export interface DesiredInterface {
  name: string;
  type?: InterfaceType;
  /** Defaults to up. */
  state: InterfaceStateName;
  mtu?: number;
  mac?: string;
  /** undefined: leave addresses alone; enabled false: none; enabled true: exactly these. */
  ipv4?: { enabled: boolean; addresses: Ipv4Address[] };
  bridge?: { stp?: boolean; ports?: DesiredPort[] };
  vlan?: { base: string; id: number };
}

/** One change, run as one iproute2 command. */
export type Step =
  | { op: 'createBridge'; name: string; stp: boolean }
  | { op: 'setStp'; name: string; stp: boolean }
  | { op: 'createVlan'; name: string; base: string; id: number }
  | { op: 'deleteLink'; name: string }
  | { op: 'setMaster'; name: string; master: string }
  | { op: 'noMaster'; name: string }
  | { op: 'setMtu'; name: string; mtu: number }
  | { op: 'setMac'; name: string; mac: string }
  | { op: 'setUp'; name: string }
  | { op: 'setDown'; name: string }
  | { op: 'addAddress'; name: string; address: Ipv4Address }
  | { op: 'delAddress'; name: string; address: Ipv4Address }
  | { op: 'setVlanFiltering'; name: string; on: boolean }
  /** `vid` may be a range end to end (`vidEnd`). */
  | { op: 'addPortVlan'; name: string; vid: number; vidEnd?: number; pvid: boolean; untagged: boolean };

/** What a link looked like before a policy touched it; `absent` when it did not exist. */
export type LinkSnapshot = { name: string; absent: true } | (LinkState & { absent?: false });

/** The state of every link a policy touches, taken before applying it. */
export interface Checkpoint {
  links: LinkSnapshot[];
  defaultRoute?: DefaultRoute;
}
