// DHCPv6 messages (RFC 8415 §8, §9, §21) and the network-boot options (RFC 5970): bytes in,
// typed message out and back. Pure; bounded (size, option count, nesting); throws
// Dhcp6DecodeError naming what was wrong.

export const Dhcp6Type = {
  Solicit: 1,
  Advertise: 2,
  Request: 3,
  Confirm: 4,
  Renew: 5,
  Rebind: 6,
  Reply: 7,
  Release: 8,
  Decline: 9,
  Reconfigure: 10,
  InformationRequest: 11,
  RelayForw: 12,
  RelayRepl: 13,
} as const;

export const Dhcp6Option = {
  ClientId: 1,
  ServerId: 2,
  IaNa: 3,
  IaAddr: 5,
  Oro: 6,
  Preference: 7,
  ElapsedTime: 8,
  StatusCode: 13,
  RapidCommit: 14,
  UserClass: 15,
  VendorClass: 16,
  DnsServers: 23,
  BootfileUrl: 59,
  BootfileParam: 60,
  ClientArchType: 61,
  Nii: 62,
} as const;

export const Dhcp6Status = { Success: 0, UnspecFail: 1, NoAddrsAvail: 2, NoBinding: 3, NotOnLink: 4, UseMulticast: 5 } as const;

/** Largest message decoded (a DHCPv6 message fits one unfragmented packet in practice). */
export const MAX_MESSAGE_BYTES = 4096;
/** Options decoded per message or per IA at most. */
export const MAX_OPTIONS = 128;

export class Dhcp6DecodeError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = 'Dhcp6DecodeError';
    this.offset = offset;
  }
}

export interface Dhcp6Opt {
  code: number;
  data: Buffer;
}

export interface Dhcp6Message {
  type: number;
  /** 24-bit transaction id (client/server messages; 0 for relay messages). */
  xid: number;
  options: Dhcp6Opt[];
}

/** Splits a run of options (code, length, data); copies nothing. */
export function decodeOptions(buf: Buffer, start = 0, end = buf.length): Dhcp6Opt[] {
  const out: Dhcp6Opt[] = [];
  let at = start;
  while (at < end) {
    if (at + 4 > end) throw new Dhcp6DecodeError(`expected an option header of 4 bytes, found ${end - at}`, at);
    const code = buf.readUInt16BE(at);
    const len = buf.readUInt16BE(at + 2);
    if (at + 4 + len > end) throw new Dhcp6DecodeError(`expected option ${code} of ${len} bytes, found ${end - at - 4}`, at);
    if (out.length >= MAX_OPTIONS) throw new Dhcp6DecodeError(`expected at most ${MAX_OPTIONS} options, found more`, at);
    out.push({ code, data: buf.subarray(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return out;
}

/** Decodes a client/server message; relay messages decode with their options unparsed past the header. */
export function decode(buf: Buffer): Dhcp6Message {
  if (buf.length > MAX_MESSAGE_BYTES) throw new Dhcp6DecodeError(`expected at most ${MAX_MESSAGE_BYTES} bytes, found ${buf.length}`, 0);
  if (buf.length < 4) throw new Dhcp6DecodeError(`expected at least 4 bytes, found ${buf.length}`, 0);
  const type = buf[0]!;
  if (type === 0 || type > 36) throw new Dhcp6DecodeError(`expected a message type from 1 to 36, found ${type}`, 0);
  if (type === Dhcp6Type.RelayForw || type === Dhcp6Type.RelayRepl) {
    if (buf.length < 34) throw new Dhcp6DecodeError(`expected a relay message of at least 34 bytes, found ${buf.length}`, 0);
    return { type, xid: 0, options: decodeOptions(buf, 34) };
  }
  return { type, xid: buf.readUIntBE(1, 3), options: decodeOptions(buf, 4) };
}

/** Encodes a client/server message. */
export function encode(msg: Dhcp6Message): Buffer {
  const parts: Buffer[] = [Buffer.from([msg.type, (msg.xid >> 16) & 255, (msg.xid >> 8) & 255, msg.xid & 255])];
  for (const o of msg.options) parts.push(option(o.code, o.data));
  return Buffer.concat(parts);
}

/** One option's bytes. */
export function option(code: number, data: Buffer): Buffer {
  if (data.length > 0xffff) throw new RangeError(`expected option ${code} data of at most 65535 bytes, found ${data.length}`);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(code, 0);
  head.writeUInt16BE(data.length, 2);
  return Buffer.concat([head, data]);
}

export interface IaAddr {
  address: Buffer;
  preferred: number;
  valid: number;
}

export interface IaNa {
  iaid: number;
  t1: number;
  t2: number;
  addresses: IaAddr[];
  /** A status code inside the IA (replies only). */
  status?: { code: number; message: string };
}

/** Parses an IA_NA option's data. */
export function decodeIaNa(data: Buffer): IaNa {
  if (data.length < 12) throw new Dhcp6DecodeError(`expected IA_NA of at least 12 bytes, found ${data.length}`, 0);
  const ia: IaNa = { iaid: data.readUInt32BE(0), t1: data.readUInt32BE(4), t2: data.readUInt32BE(8), addresses: [] };
  for (const o of decodeOptions(data, 12)) {
    if (o.code === Dhcp6Option.IaAddr) {
      if (o.data.length < 24) throw new Dhcp6DecodeError(`expected IAADDR of at least 24 bytes, found ${o.data.length}`, 12);
      ia.addresses.push({ address: Buffer.from(o.data.subarray(0, 16)), preferred: o.data.readUInt32BE(16), valid: o.data.readUInt32BE(20) });
    } else if (o.code === Dhcp6Option.StatusCode) ia.status = decodeStatus(o.data);
  }
  return ia;
}

/** Encodes an IA_NA option's data with its addresses (or a status code instead). */
export function encodeIaNa(ia: IaNa): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt32BE(ia.iaid >>> 0, 0);
  head.writeUInt32BE(ia.t1 >>> 0, 4);
  head.writeUInt32BE(ia.t2 >>> 0, 8);
  const subs = ia.addresses.map((a) => {
    const d = Buffer.alloc(24);
    a.address.copy(d, 0, 0, 16);
    d.writeUInt32BE(a.preferred >>> 0, 16);
    d.writeUInt32BE(a.valid >>> 0, 20);
    return option(Dhcp6Option.IaAddr, d);
  });
  if (ia.status) subs.push(option(Dhcp6Option.StatusCode, encodeStatus(ia.status.code, ia.status.message)));
  return Buffer.concat([head, ...subs]);
}

export function decodeStatus(data: Buffer): { code: number; message: string } {
  if (data.length < 2) throw new Dhcp6DecodeError(`expected a status code of at least 2 bytes, found ${data.length}`, 0);
  return { code: data.readUInt16BE(0), message: data.subarray(2).toString('utf8') };
}

export function encodeStatus(code: number, message: string): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(message, 'utf8')]);
}

/** Length-prefixed strings (user class, vendor class data, boot file parameters: RFC 8415 §21.15, RFC 5970 §3.2). */
export function decodeStrings(data: Buffer, start = 0): string[] {
  const out: string[] = [];
  let at = start;
  while (at + 2 <= data.length && out.length < MAX_OPTIONS) {
    const len = data.readUInt16BE(at);
    if (at + 2 + len > data.length) throw new Dhcp6DecodeError(`expected a string of ${len} bytes, found ${data.length - at - 2}`, at);
    out.push(data.subarray(at + 2, at + 2 + len).toString('latin1'));
    at += 2 + len;
  }
  return out;
}

export function encodeStrings(list: readonly string[]): Buffer {
  return Buffer.concat(
    list.map((s) => {
      const body = Buffer.from(s, 'latin1');
      const len = Buffer.alloc(2);
      len.writeUInt16BE(body.length);
      return Buffer.concat([len, body]);
    }),
  );
}

/** A list of 16-bit numbers (ORO, client architecture types). */
export function decodeU16s(data: Buffer): number[] {
  if (data.length % 2 !== 0) throw new Dhcp6DecodeError(`expected an even number of bytes for a list of 16-bit values, found ${data.length}`, 0);
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length && out.length < MAX_OPTIONS; i += 2) out.push(data.readUInt16BE(i));
  return out;
}
