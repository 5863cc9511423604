// What a DHCPv6 client asked, parsed once from a decoded message (pure): its DUID, IAs,
// requested options, user and vendor classes, architecture, and its MAC where one can be
// known (a DUID-LL/LLT, else the EUI-64 of its link-local source address).
import { decodeIaNa, decodeStrings, decodeU16s, Dhcp6DecodeError, Dhcp6Option, type Dhcp6Message, type IaNa } from './codec.ts';
import { parseIpv6 } from '../../lib/ipv6.ts';

/** DUIDs longer than this are refused (RFC 8415 §11.1: at most 128 bytes of DUID, plus type). */
export const MAX_DUID_BYTES = 130;
/** IAs looked at per message. */
export const MAX_IAS = 8;

export interface Dhcp6Client {
  type: number;
  xid: number;
  clientId?: Buffer;
  serverId?: Buffer;
  iaNa: IaNa[];
  oro: number[];
  userClasses: string[];
  vendorClass?: { enterprise: number; data: string[] };
  /** The first client architecture type (option 61), RFC 5970 / IANA codes. */
  arch?: number;
  rapidCommit: boolean;
  mac?: string;
}

/** Parses the client's options; throws Dhcp6DecodeError for malformed ones. */
export function parseClient(msg: Dhcp6Message, sourceAddress: string): Dhcp6Client {
  const c: Dhcp6Client = { type: msg.type, xid: msg.xid, iaNa: [], oro: [], userClasses: [], rapidCommit: false };
  for (const o of msg.options) {
    switch (o.code) {
      case Dhcp6Option.ClientId:
      case Dhcp6Option.ServerId:
        if (o.data.length < 2 || o.data.length > MAX_DUID_BYTES) throw new Dhcp6DecodeError(`expected a DUID of 2 to ${MAX_DUID_BYTES} bytes in option ${o.code}, found ${o.data.length}`, 0);
        if (o.code === Dhcp6Option.ClientId) c.clientId = Buffer.from(o.data);
        else c.serverId = Buffer.from(o.data);
        break;
      case Dhcp6Option.IaNa:
        if (c.iaNa.length < MAX_IAS) c.iaNa.push(decodeIaNa(o.data));
        break;
      case Dhcp6Option.Oro:
        c.oro = decodeU16s(o.data);
        break;
      case Dhcp6Option.UserClass:
        c.userClasses = decodeStrings(o.data);
        break;
      case Dhcp6Option.VendorClass:
        if (o.data.length < 4) throw new Dhcp6DecodeError(`expected a vendor class of at least 4 bytes, found ${o.data.length}`, 0);
        c.vendorClass = { enterprise: o.data.readUInt32BE(0), data: decodeStrings(o.data, 4) };
        break;
      case Dhcp6Option.ClientArchType: {
        const arch = decodeU16s(o.data)[0];
        if (arch !== undefined) c.arch = arch;
        break;
      }
      case Dhcp6Option.RapidCommit:
        c.rapidCommit = true;
        break;
    }
  }
  const mac = (c.clientId && macFromDuid(c.clientId)) ?? macFromLinkLocal(sourceAddress);
  if (mac !== undefined) c.mac = mac;
  return c;
}

const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

/** The MAC inside a DUID-LLT (type 1) or DUID-LL (type 3) of an Ethernet client. */
export function macFromDuid(duid: Buffer): string | undefined {
  if (duid.length < 4 || duid.readUInt16BE(2) !== 1) return undefined;
  const type = duid.readUInt16BE(0);
  if (type === 1 && duid.length === 14) return hex(duid.subarray(8, 14));
  if (type === 3 && duid.length === 10) return hex(duid.subarray(4, 10));
  return undefined;
}

/** The MAC an EUI-64 link-local address (fe80::/64, ff:fe in the middle) was made from. */
export function macFromLinkLocal(address: string): string | undefined {
  const n = parseIpv6(address.split('%')[0] ?? '');
  if (n === undefined || n >> 64n !== 0xfe80n << 48n) return undefined;
  const iid = n & 0xffffffffffffffffn;
  if (((iid >> 24n) & 0xffffn) !== 0xfffen) return undefined;
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(iid);
  return hex(Buffer.from([b[0]! ^ 2, b[1]!, b[2]!, b[5]!, b[6]!, b[7]!]));
}
