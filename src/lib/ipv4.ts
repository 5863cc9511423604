// IPv4 addresses as unsigned 32-bit numbers: parsing, CIDR prefixes and ranges.

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad text to a number, or returns undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const m = DOTTED.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

/** Formats a 32-bit number as dotted-quad text. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Ipv4Cidr {
  address: number;
  prefix: number;
}

/** Parses `a.b.c.d/nn`; returns undefined when malformed. */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const [addr, prefixText, extra] = text.split('/');
  if (addr === undefined || prefixText === undefined || extra !== undefined) return undefined;
  if (!/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const address = parseIpv4(addr);
  if (address === undefined || prefix > 32) return undefined;
  return { address, prefix };
}

/** The netmask of a prefix length, as a number. */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The network address of a CIDR. */
export function networkOf(cidr: Ipv4Cidr): number {
  return (cidr.address & prefixMask(cidr.prefix)) >>> 0;
}

/** The directed broadcast address of a CIDR. */
export function broadcastOf(cidr: Ipv4Cidr): number {
  return (networkOf(cidr) | ~prefixMask(cidr.prefix)) >>> 0;
}

/** True when `address` lies inside the CIDR's network. */
export function inSubnet(cidr: Ipv4Cidr, address: number): boolean {
  return ((address & prefixMask(cidr.prefix)) >>> 0) === networkOf(cidr);
}

export interface Ipv4Range {
  start: number;
  end: number;
}

/** Parses `first-last` (both dotted-quad, first <= last). */
export function parseRange(text: string): Ipv4Range | undefined {
  const parts = text.split('-').map((p) => p.trim());
  if (parts.length !== 2) return undefined;
  const start = parseIpv4(parts[0] ?? '');
  const end = parseIpv4(parts[1] ?? '');
  if (start === undefined || end === undefined || start > end) return undefined;
  return { start, end };
}
