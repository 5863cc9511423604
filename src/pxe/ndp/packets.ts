// ICMPv6 neighbour-discovery messages the PXE server reads and writes (RFC 4861 §4.1, §4.2).
// Pure: bytes in, bytes out. The kernel fills in the checksum on raw ICMPv6 sockets (RFC 3542).

export const ICMP6_ROUTER_SOLICITATION = 133;
export const ICMP6_ROUTER_ADVERTISEMENT = 134;
const OPT_SOURCE_LL = 1;
const OPT_PREFIX_INFO = 3;

export interface NdpMessage {
  type: typeof ICMP6_ROUTER_SOLICITATION | typeof ICMP6_ROUTER_ADVERTISEMENT;
  /** The sender's link-layer address from its source link-layer option, when present. */
  mac?: string;
  /** Router lifetime in seconds (advertisements only). */
  routerLifetime?: number;
}

const formatMac = (b: Buffer, at: number): string => [...b.subarray(at, at + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** Parses a router solicitation or advertisement; undefined for anything else or malformed. */
export function parseNdp(buf: Buffer): NdpMessage | undefined {
  if (buf.length < 8 || buf[1] !== 0) return undefined;
  const type = buf[0];
  let at: number;
  if (type === ICMP6_ROUTER_SOLICITATION) at = 8;
  else if (type === ICMP6_ROUTER_ADVERTISEMENT && buf.length >= 16) at = 16;
  else return undefined;
  let mac: string | undefined;
  while (at + 2 <= buf.length) {
    const len = (buf[at + 1] ?? 0) * 8;
    if (len === 0 || at + len > buf.length) return undefined; // RFC 4861 §4.6: drop
    if (buf[at] === OPT_SOURCE_LL && len >= 8) mac = formatMac(buf, at + 2);
    at += len;
  }
  return {
    type,
    ...(mac === undefined ? {} : { mac }),
    ...(type === ICMP6_ROUTER_ADVERTISEMENT ? { routerLifetime: buf.readUInt16BE(6) } : {}),
  };
}

/**
 * The router advertisement that ends a client's router discovery and changes nothing else:
 * router lifetime 0 (not a default router), M=O=0 (no DHCPv6), hop limit, reachable time and
 * retransmit timer 0 (unspecified), no prefix, MTU or DNS options: only our link-layer address.
 * iPXE's ipv6conf finishes on the first solicited RA without M/O (src/net/ndp.c,
 * ipv6conf_rx_router_advertisement); Linux adds no route and no address from it.
 */
export function emptyRouterAdvertisement(mac: string): Buffer {
  return routerAdvertisement({ mac });
}

export interface RouterAdvertisementOptions {
  mac: string;
  /** M flag: addresses from DHCPv6 (stateful). */
  managed?: boolean;
  /** O flag: other configuration (the boot file) from DHCPv6. */
  other?: boolean;
  /** The on-link prefix (L=1); `autonomous` sets A (SLAAC) for stateless DHCPv6. */
  prefix?: { network: Buffer; length: number; autonomous: boolean; validSeconds: number; preferredSeconds: number };
}

/**
 * A router advertisement that is never a default router (router lifetime 0) and carries only
 * what a network boot needs: the M/O flags that start DHCPv6, the on-link prefix (so the
 * server is reached directly) and our link-layer address (RFC 4861 §4.2, §4.6.2).
 */
export function routerAdvertisement(o: RouterAdvertisementOptions): Buffer {
  const buf = Buffer.alloc(16 + 8 + (o.prefix ? 32 : 0));
  buf[0] = ICMP6_ROUTER_ADVERTISEMENT;
  buf[5] = (o.managed ? 0x80 : 0) | (o.other ? 0x40 : 0);
  buf[16] = OPT_SOURCE_LL;
  buf[17] = 1;
  const bytes = o.mac.split(':').map((h) => Number.parseInt(h, 16));
  if (bytes.length !== 6 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) throw new Error(`expected a MAC address aa:bb:cc:dd:ee:ff, found ${JSON.stringify(o.mac)}`);
  Buffer.from(bytes).copy(buf, 18);
  if (o.prefix) {
    const p = o.prefix;
    buf[24] = OPT_PREFIX_INFO;
    buf[25] = 4;
    buf[26] = p.length;
    buf[27] = 0x80 | (p.autonomous ? 0x40 : 0);
    buf.writeUInt32BE(p.validSeconds >>> 0, 28);
    buf.writeUInt32BE(p.preferredSeconds >>> 0, 32);
    p.network.copy(buf, 40, 0, 16);
  }
  return buf;
}

/** The M and O flags of an advertisement (for tests and logs). */
export function advertisementFlags(ra: Buffer): { managed: boolean; other: boolean } {
  return { managed: ((ra[5] ?? 0) & 0x80) !== 0, other: ((ra[5] ?? 0) & 0x40) !== 0 };
}
