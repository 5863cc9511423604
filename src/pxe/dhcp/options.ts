// Typed readers and writers for the DHCP options pxevirt uses (RFC 2132, 3004, 4578).
// Readers return undefined for absent or ill-formed values: a client's odd option is
// ignored, never fatal.
import { formatIpv4 } from '../../lib/ipv4.ts';
import { ipToNumber } from './codec.ts';

export const Opt = {
  subnetMask: 1,
  router: 3,
  dns: 6,
  hostname: 12,
  vendorSpecific: 43,
  requestedAddress: 50,
  leaseTime: 51,
  messageType: 53,
  serverId: 54,
  parameterList: 55,
  message: 56,
  renewalTime: 58,
  rebindingTime: 59,
  vendorClass: 60,
  clientId: 61,
  tftpServer: 66,
  bootfile: 67,
  userClass: 77,
  relayAgentInfo: 82,
  clientArch: 93,
  clientNdi: 94,
  clientMachineId: 97,
  ipxeEncap: 175,
} as const;

export const MessageType = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
} as const;
export type MessageTypeName = keyof typeof MessageType;

const NAMES = new Map<number, MessageTypeName>(Object.entries(MessageType).map(([k, v]) => [v, k as MessageTypeName]));

/** The name of a message type code (`discover`…), or undefined for codes outside 1–8. */
export function messageTypeName(code: number | undefined): MessageTypeName | undefined {
  return code === undefined ? undefined : NAMES.get(code);
}

type Options = ReadonlyMap<number, Buffer>;

/** Option 53 as a code, when present and one byte long. */
export function getMessageType(options: Options): number | undefined {
  const v = options.get(Opt.messageType);
  return v?.length === 1 ? v[0] : undefined;
}

/** A single-address option (50, 54, 1): dotted quad. */
export function getAddress(options: Options, code: number): string | undefined {
  const v = options.get(code);
  return v?.length === 4 ? formatIpv4(v.readUInt32BE(0)) : undefined;
}

/** An address-list option (3, 6). */
export function getAddresses(options: Options, code: number): string[] | undefined {
  const v = options.get(code);
  if (!v || v.length === 0 || v.length % 4 !== 0) return undefined;
  return Array.from({ length: v.length / 4 }, (_, i) => formatIpv4(v.readUInt32BE(i * 4)));
}

/** A 32-bit unsigned option (51, 58, 59). */
export function getUint32(options: Options, code: number): number | undefined {
  const v = options.get(code);
  return v?.length === 4 ? v.readUInt32BE(0) : undefined;
}

/** A text option (12, 60, 66, 67), without trailing NULs some clients add. */
export function getString(options: Options, code: number): string | undefined {
  const v = options.get(code);
  return v === undefined ? undefined : v.toString('latin1').replace(/\0+$/, '');
}

/** Option 55: the option codes the client asks for. */
export function getParameterList(options: Options): number[] | undefined {
  const v = options.get(Opt.parameterList);
  return v ? [...v] : undefined;
}

/** Option 61 as lower-case hex (type byte included), the lease key when present. */
export function getClientId(options: Options): string | undefined {
  const v = options.get(Opt.clientId);
  return v && v.length >= 2 ? v.toString('hex') : undefined;
}

/** Option 93: the client's architecture types (RFC 4578), first is the one to use. */
export function getClientArches(options: Options): number[] | undefined {
  const v = options.get(Opt.clientArch);
  if (!v || v.length === 0 || v.length % 2 !== 0) return undefined;
  return Array.from({ length: v.length / 2 }, (_, i) => v.readUInt16BE(i * 2));
}

/** Option 94: network interface type and UNDI version. */
export function getClientNdi(options: Options): { type: number; major: number; minor: number } | undefined {
  const v = options.get(Opt.clientNdi);
  return v?.length === 3 ? { type: v[0]!, major: v[1]!, minor: v[2]! } : undefined;
}

/** Option 97: the client's machine UUID (type 0 + 16 bytes), as text, byte order as sent. */
export function getClientUuid(options: Options): string | undefined {
  const v = options.get(Opt.clientMachineId);
  if (v?.length !== 17 || v[0] !== 0) return undefined;
  const h = v.subarray(1).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Option 77 user classes. RFC 3004 packs length-prefixed strings; iPXE and many others
 * send one plain string ("iPXE"). The RFC form is used only when it parses exactly.
 */
export function getUserClasses(options: Options): string[] | undefined {
  const v = options.get(Opt.userClass);
  if (!v || v.length === 0) return undefined;
  const parsed: string[] = [];
  let i = 0;
  while (i < v.length) {
    const len = v[i]!;
    if (len === 0 || i + 1 + len > v.length) return [v.toString('latin1').replace(/\0+$/, '')];
    parsed.push(v.toString('latin1', i + 1, i + 1 + len));
    i += 1 + len;
  }
  return parsed;
}

/** Encodes user classes in RFC 3004 form. */
export function userClassOption(classes: readonly string[]): Buffer {
  return Buffer.concat(classes.map((c) => {
    const b = Buffer.from(c, 'latin1');
    return Buffer.concat([Buffer.from([b.length]), b]);
  }));
}

/** Option 43 read as PXE vendor sub-options (code, length, value…, 255). */
export function getVendorSubOptions(options: Options): Map<number, Buffer> | undefined {
  const v = options.get(Opt.vendorSpecific);
  if (!v) return undefined;
  const out = new Map<number, Buffer>();
  let i = 0;
  while (i < v.length) {
    const code = v[i]!;
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    const len = v[i + 1];
    if (len === undefined || i + 2 + len > v.length) return undefined;
    out.set(code, Buffer.from(v.subarray(i + 2, i + 2 + len)));
    i += 2 + len;
  }
  return out;
}

/** Encodes PXE vendor sub-options for option 43, END-terminated. */
export function vendorSubOptions(sub: ReadonlyMap<number, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [code, value] of sub) parts.push(Buffer.from([code, value.length]), value);
  parts.push(Buffer.from([255]));
  return Buffer.concat(parts);
}

/** PXE_DISCOVERY_CONTROL (sub-option 6) = 8: boot the file given, skip boot-server discovery. */
export const PXE_DISCOVERY_CONTROL_BOOT_FILE = vendorSubOptions(new Map([[6, Buffer.from([8])]]));

/** One byte. */
export const u8 = (n: number): Buffer => Buffer.from([n]);

/** A 32-bit unsigned value. */
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** One or more addresses. */
export function addresses(...list: string[]): Buffer {
  return Buffer.concat(list.map((a) => u32(ipToNumber(a))));
}

/** Text. */
export const text = (s: string): Buffer => Buffer.from(s, 'latin1');
