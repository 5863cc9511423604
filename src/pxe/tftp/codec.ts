// TFTP packets (RFC 1350) with option extension (RFC 2347): pure decode and encode.
// Strings are UTF-8 on the wire; option names and the mode are case-insensitive and are
// lowercased when decoded.

export const OPCODES = { rrq: 1, wrq: 2, data: 3, ack: 4, error: 5, oack: 6 } as const;
export type OpName = keyof typeof OPCODES;

export const MODES = ['netascii', 'octet', 'mail'] as const;
export type TransferMode = (typeof MODES)[number];

/** TFTP error codes (RFC 1350 and RFC 2347's 8). */
export const ERROR_CODES = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTid: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionsRefused: 8,
} as const;

/** RFC 2347: a request (and so an OACK or ERROR) must fit in 512 bytes. */
export const MAX_REQUEST_BYTES = 512;
/** The largest block (RFC 2348) plus the 4-byte DATA header. */
export const MAX_PACKET_BYTES = 4 + 65464;

/** Option names (lowercase) to values, in the order they were sent. */
export type TftpOptions = Map<string, string>;

export type TftpPacket =
  | { op: 'rrq' | 'wrq'; filename: string; mode: TransferMode; options: TftpOptions }
  | { op: 'data'; block: number; data: Buffer }
  | { op: 'ack'; block: number }
  | { op: 'error'; code: number; message: string }
  | { op: 'oack'; options: TftpOptions };

/** A packet that is not valid TFTP: where decoding stopped, what it expected and found. */
export class TftpDecodeError extends Error {
  readonly offset: number;
  readonly expected: string;
  readonly found: string;
  constructor(offset: number, expected: string, found: string) {
    super(`malformed TFTP packet at byte ${offset}: expected ${expected}, found ${found}`);
    this.name = 'TftpDecodeError';
    this.offset = offset;
    this.expected = expected;
    this.found = found;
  }
}

const OP_BY_CODE: Record<number, OpName> = { 1: 'rrq', 2: 'wrq', 3: 'data', 4: 'ack', 5: 'error', 6: 'oack' };

/** Reads a NUL-terminated string at `offset`; returns it and the offset after the NUL. */
function cstring(buf: Buffer, offset: number, what: string): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) {
    throw new TftpDecodeError(buf.length, `a NUL terminating the ${what}`, offset >= buf.length ? 'end of packet' : `end of packet after ${buf.length - offset} bytes`);
  }
  return [buf.toString('utf8', offset, end), end + 1];
}

function readOptions(buf: Buffer, offset: number): TftpOptions {
  const options: TftpOptions = new Map();
  let at = offset;
  while (at < buf.length) {
    const nameAt = at;
    const [name, afterName] = cstring(buf, at, 'option name');
    if (name === '') throw new TftpDecodeError(nameAt, 'an option name', 'an empty string');
    if (afterName >= buf.length) throw new TftpDecodeError(afterName, `a value for option "${name}"`, 'end of packet (odd option list)');
    const [value, afterValue] = cstring(buf, afterName, `value of option "${name}"`);
    const key = name.toLowerCase();
    if (options.has(key)) throw new TftpDecodeError(nameAt, 'each option once', `option "${key}" repeated`);
    options.set(key, value);
    at = afterValue;
  }
  return options;
}

/** Decodes one datagram; throws TftpDecodeError (and nothing else) when it is not valid TFTP. */
export function decode(buf: Buffer): TftpPacket {
  if (buf.length < 2) throw new TftpDecodeError(0, 'a 2-byte opcode', `${buf.length} bytes`);
  const code = buf.readUInt16BE(0);
  const op = OP_BY_CODE[code];
  if (op === undefined) throw new TftpDecodeError(0, 'opcode 1 to 6', `opcode ${code}`);
  const limit = op === 'data' ? MAX_PACKET_BYTES : MAX_REQUEST_BYTES;
  if (buf.length > limit) throw new TftpDecodeError(limit, `a ${op.toUpperCase()} packet of at most ${limit} bytes`, `${buf.length} bytes`);
  switch (op) {
    case 'rrq':
    case 'wrq': {
      const [filename, afterName] = cstring(buf, 2, 'file name');
      if (filename === '') throw new TftpDecodeError(2, 'a file name', 'an empty string');
      const [modeText, afterMode] = cstring(buf, afterName, 'mode');
      const mode = modeText.toLowerCase();
      if (!(MODES as readonly string[]).includes(mode)) throw new TftpDecodeError(afterName, 'mode netascii, octet or mail', JSON.stringify(modeText));
      return { op, filename, mode: mode as TransferMode, options: readOptions(buf, afterMode) };
    }
    case 'data':
    case 'ack': {
      if (buf.length < 4) throw new TftpDecodeError(buf.length, 'a 2-byte block number', `${buf.length - 2} bytes`);
      const block = buf.readUInt16BE(2);
      // ACKs padded with trailing bytes are tolerated: the block number is all that counts.
      return op === 'ack' ? { op, block } : { op, block, data: buf.subarray(4) };
    }
    case 'error': {
      if (buf.length < 4) throw new TftpDecodeError(buf.length, 'a 2-byte error code', `${buf.length - 2} bytes`);
      const [message] = cstring(buf, 4, 'error message');
      return { op, code: buf.readUInt16BE(2), message };
    }
    case 'oack':
      return { op, options: readOptions(buf, 2) };
  }
}

function header(op: OpName, extra: number): Buffer {
  const buf = Buffer.allocUnsafe(2 + extra);
  buf.writeUInt16BE(OPCODES[op], 0);
  return buf;
}

function strings(op: OpName, parts: readonly string[]): Buffer {
  return Buffer.concat([header(op, 0), ...parts.flatMap((p) => [Buffer.from(p, 'utf8'), Buffer.alloc(1)])]);
}

/** Encodes a DATA packet: the 4-byte header followed by the block's bytes (a copy). */
export function encodeData(block: number, data: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(4 + data.length);
  buf.writeUInt16BE(OPCODES.data, 0);
  buf.writeUInt16BE(block & 0xffff, 2);
  data.copy(buf, 4);
  return buf;
}

/** Writes a DATA packet for `data[start, end)` into `target` at `offset`; returns the offset after it. */
export function encodeDataInto(target: Buffer, offset: number, block: number, data: Buffer, start: number, end: number): number {
  target.writeUInt16BE(OPCODES.data, offset);
  target.writeUInt16BE(block & 0xffff, offset + 2);
  return offset + 4 + data.copy(target, offset + 4, start, end);
}

/** Encodes an ERROR packet. */
export function encodeError(code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8').subarray(0, MAX_REQUEST_BYTES - 5);
  const buf = header('error', 2 + text.length + 1);
  buf.writeUInt16BE(code & 0xffff, 2);
  text.copy(buf, 4);
  buf[buf.length - 1] = 0;
  return buf;
}

/** Encodes any packet. */
export function encode(packet: TftpPacket): Buffer {
  switch (packet.op) {
    case 'rrq':
    case 'wrq':
      return strings(packet.op, [packet.filename, packet.mode, ...[...packet.options].flat()]);
    case 'oack':
      return strings('oack', [...packet.options].flat());
    case 'data':
      return encodeData(packet.block, packet.data);
    case 'ack': {
      const buf = header('ack', 2);
      buf.writeUInt16BE(packet.block & 0xffff, 2);
      return buf;
    }
    case 'error':
      return encodeError(packet.code, packet.message);
  }
}
