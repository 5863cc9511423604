// DHCP/BOOTP messages as bytes (RFC 2131 header, RFC 2132 options, RFC 3396 long options,
// option 52 overload). Pure: decode(bytes) → packet, encode(packet) → bytes.
import { formatIpv4, parseIpv4 } from '../../lib/ipv4.ts';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const MAGIC_COOKIE = 0x63825363;
/** Fixed header (236 bytes) plus the cookie. */
export const HEADER_LENGTH = 240;
/** BOOTP's minimum message size (RFC 951); some clients drop anything shorter. */
export const BOOTP_MIN_LENGTH = 300;

const OPT_PAD = 0;
const OPT_END = 255;
const OPT_OVERLOAD = 52;

export interface DhcpPacket {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The client hardware address: `hlen` bytes. */
  chaddr: Buffer;
  sname: string;
  file: string;
  /** Options by code, in first-seen order; repeated options already concatenated (RFC 3396). */
  options: Map<number, Buffer>;
}

/** The one failure of decode: where in the bytes, what was expected and what was found. */
export class DhcpDecodeError extends Error {
  readonly offset: number;
  readonly expected: string;
  readonly found: string;
  constructor(offset: number, expected: string, found: string) {
    super(`malformed DHCP packet at byte ${offset}: expected ${expected}, found ${found}`);
    this.name = 'DhcpDecodeError';
    this.offset = offset;
    this.expected = expected;
    this.found = found;
  }
}

/** Decodes a DHCP message; throws DhcpDecodeError on anything malformed. */
export function decode(bytes: Buffer): DhcpPacket {
  if (bytes.length < HEADER_LENGTH) {
    throw new DhcpDecodeError(bytes.length, `at least ${HEADER_LENGTH} bytes (header and magic cookie)`, `${bytes.length} bytes`);
  }
  const hlen = bytes[2]!;
  if (hlen > 16) throw new DhcpDecodeError(2, 'hlen from 0 to 16', String(hlen));
  const cookie = bytes.readUInt32BE(236);
  if (cookie !== MAGIC_COOKIE) {
    throw new DhcpDecodeError(236, 'magic cookie 0x63825363', `0x${cookie.toString(16).padStart(8, '0')}`);
  }
  const options = new Map<number, Buffer>();
  parseOptions(bytes, HEADER_LENGTH, bytes.length, options, 'options');
  const overload = options.get(OPT_OVERLOAD);
  let overloadValue = 0;
  if (overload) {
    const value = overload;
    if (value.length !== 1 || value[0]! < 1 || value[0]! > 3) {
      throw new DhcpDecodeError(HEADER_LENGTH, 'option 52 (overload) of one byte 1, 2 or 3', `${value.length} bytes ${value.toString('hex')}`);
    }
    overloadValue = value[0]!;
    options.delete(OPT_OVERLOAD);
    // RFC 3396 order: options field, then file, then sname.
    if (overloadValue & 1) parseOptions(bytes, 108, 236, options, 'file field');
    if (overloadValue & 2) parseOptions(bytes, 44, 108, options, 'sname field');
  }
  return {
    op: bytes[0]!,
    htype: bytes[1]!,
    hlen,
    hops: bytes[3]!,
    xid: bytes.readUInt32BE(4),
    secs: bytes.readUInt16BE(8),
    flags: bytes.readUInt16BE(10),
    ciaddr: formatIpv4(bytes.readUInt32BE(12)),
    yiaddr: formatIpv4(bytes.readUInt32BE(16)),
    siaddr: formatIpv4(bytes.readUInt32BE(20)),
    giaddr: formatIpv4(bytes.readUInt32BE(24)),
    chaddr: Buffer.from(bytes.subarray(28, 28 + hlen)),
    sname: overloadValue & 2 ? '' : cString(bytes, 44, 108),
    file: overloadValue & 1 ? '' : cString(bytes, 108, 236),
    options,
  };
}

function parseOptions(bytes: Buffer, start: number, end: number, into: Map<number, Buffer>, where: string): void {
  let i = start;
  while (i < end) {
    const code = bytes[i]!;
    if (code === OPT_END) return;
    if (code === OPT_PAD) {
      i++;
      continue;
    }
    if (i + 1 >= end) throw new DhcpDecodeError(i + 1, `the length of option ${code} in the ${where}`, 'the end of the field');
    const len = bytes[i + 1]!;
    if (i + 2 + len > end) {
      throw new DhcpDecodeError(i + 1, `option ${code} of ${len} bytes within the ${where}`, `${end - i - 2} bytes left`);
    }
    // A view, not a copy: the datagram's buffer is ours alone. A repeated option is
    // concatenated (RFC 3396); one Map, no per-option arrays (allocation showed in the profile).
    const value = bytes.subarray(i + 2, i + 2 + len);
    const earlier = into.get(code);
    into.set(code, earlier ? Buffer.concat([earlier, value]) : value);
    i += 2 + len;
  }
  // No END option: tolerated, as most servers do.
}

function cString(bytes: Buffer, start: number, end: number): string {
  const nul = bytes.indexOf(0, start);
  return bytes.toString('latin1', start, nul === -1 || nul > end ? end : nul);
}

/** Encodes a DHCP message: options over 255 bytes are split (RFC 3396), padded to 300 bytes. */
export function encode(packet: DhcpPacket): Buffer {
  // Sized first, then written in place: no per-option buffers (allocations were most of encode's time).
  let length = 1; // END
  for (const [code, value] of packet.options) {
    if (code === OPT_PAD || code === OPT_END || code === OPT_OVERLOAD) continue;
    if (!Number.isInteger(code) || code < 0 || code > 255) throw new RangeError(`expected option codes from 1 to 254, found ${code}`);
    length += value.length + 2 * Math.max(1, Math.ceil(value.length / 255));
  }
  const out = Buffer.alloc(Math.max(BOOTP_MIN_LENGTH, HEADER_LENGTH + length));
  let at = HEADER_LENGTH;
  for (const [code, value] of packet.options) {
    if (code === OPT_PAD || code === OPT_END || code === OPT_OVERLOAD) continue;
    let offset = 0;
    do {
      const chunk = Math.min(255, value.length - offset);
      out[at] = code;
      out[at + 1] = chunk;
      value.copy(out, at + 2, offset, offset + chunk);
      at += 2 + chunk;
      offset += 255;
    } while (offset < value.length);
  }
  out[at] = OPT_END;
  out[0] = packet.op;
  out[1] = packet.htype;
  out[2] = packet.hlen;
  out[3] = packet.hops;
  out.writeUInt32BE(packet.xid >>> 0, 4);
  out.writeUInt16BE(packet.secs, 8);
  out.writeUInt16BE(packet.flags, 10);
  out.writeUInt32BE(ipToNumber(packet.ciaddr, 'ciaddr'), 12);
  out.writeUInt32BE(ipToNumber(packet.yiaddr, 'yiaddr'), 16);
  out.writeUInt32BE(ipToNumber(packet.siaddr, 'siaddr'), 20);
  out.writeUInt32BE(ipToNumber(packet.giaddr, 'giaddr'), 24);
  packet.chaddr.copy(out, 28, 0, Math.min(16, packet.chaddr.length));
  writeField(out, packet.sname, 44, 64, 'sname');
  writeField(out, packet.file, 108, 128, 'file');
  out.writeUInt32BE(MAGIC_COOKIE, 236);
  return out;
}

function writeField(out: Buffer, text: string, start: number, size: number, name: string): void {
  const bytes = Buffer.from(text, 'latin1');
  // Leave room for the terminating NUL.
  if (bytes.length >= size) throw new RangeError(`expected ${name} of at most ${size - 1} bytes, found ${bytes.length}`);
  bytes.copy(out, start);
}

/** Dotted-quad text to a number; throws RangeError naming the field when it is not one. */
export function ipToNumber(text: string, field = 'address'): number {
  const n = parseIpv4(text);
  if (n === undefined) throw new RangeError(`expected ${field} as an IPv4 address, found ${JSON.stringify(text)}`);
  return n;
}
