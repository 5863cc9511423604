// IPv6 addresses as 128-bit bigints: parsing (with `::` and embedded IPv4), canonical text
// (RFC 5952), prefixes and ranges. Pure; no DNS, no zone ids.
import { isIPv6 } from 'node:net';

const MAX = (1n << 128n) - 1n;

/** Parses IPv6 text to a bigint, or undefined when it is not an IPv6 address. */
export function parseIpv6(text: string): bigint | undefined {
  if (text.length > 45 || !isIPv6(text) || text.includes('%')) return undefined;
  let s = text.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  if (groups.length !== 8) return undefined;
  return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** Formats a bigint as canonical IPv6 text (lower case, longest zero run as `::`). */
export function formatIpv6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt((7 - i) * 16)) & 0xffffn));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** 16 bytes, network order. */
export function ipv6Bytes(n: bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(n >> 64n, 0);
  b.writeBigUInt64BE(n & 0xffffffffffffffffn, 8);
  return b;
}

/** Reads 16 bytes in network order. */
export function ipv6FromBytes(b: Buffer, at = 0): bigint {
  return (b.readBigUInt64BE(at) << 64n) | b.readBigUInt64BE(at + 8);
}

export interface Ipv6Cidr {
  address: bigint;
  prefix: number;
}

/** Parses `addr/nn`; undefined when malformed. */
export function parseCidr6(text: string): Ipv6Cidr | undefined {
  const [addr, prefixText, extra] = text.split('/');
  if (addr === undefined || prefixText === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const address = parseIpv6(addr);
  return address === undefined || prefix > 128 ? undefined : { address, prefix };
}

/** The network (prefix bits only) of a CIDR. */
export function network6(c: Ipv6Cidr): bigint {
  const host = c.prefix === 128 ? 0n : MAX >> BigInt(c.prefix);
  return c.address & ~host & MAX;
}

/** True when `address` lies in the CIDR's prefix. */
export function inPrefix6(c: Ipv6Cidr, address: bigint): boolean {
  return network6({ address, prefix: c.prefix }) === network6(c);
}

/** Parses `first-last` with first <= last; undefined when malformed. */
export function parseRange6(text: string): { start: bigint; end: bigint } | undefined {
  const parts = text.split('-');
  if (parts.length !== 2) return undefined;
  const start = parseIpv6(parts[0]!.trim());
  const end = parseIpv6(parts[1]!.trim());
  return start === undefined || end === undefined || start > end ? undefined : { start, end };
}
