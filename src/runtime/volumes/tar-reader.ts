// A streaming tar reader (ustar, with pax and GNU long-name extensions) as a pure state
// machine: push() takes bytes as they arrive and returns events, so a layer is read once,
// straight from the (gunzipped) download, without holding it in memory.

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarHeader {
  /** Path as stored, with pax/GNU long names applied and a leading "./" or "/" removed. */
  path: string;
  type: TarEntryType;
  /** The type flag byte as found ('0', '5', …). */
  flag: string;
  size: number;
  mode: number;
  linkname: string;
}

export type TarEvent = { kind: 'entry'; header: TarHeader } | { kind: 'data'; chunk: Buffer } | { kind: 'entry-end' } | { kind: 'end' };

/** Raised for bytes that are not a tar archive (bad checksum, truncated, malformed field). */
export class TarFormatError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`tar archive at byte ${offset}: ${reason}`);
    this.name = 'TarFormatError';
  }
}

const BLOCK = 512;
/** Default cap on a pax or GNU long-name member: these are held in memory until the next header. */
export const MAX_TAR_META_BYTES = 1024 * 1024;

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? length : nul).toString('utf8');
}

function numeric(block: Buffer, offset: number, length: number, at: number, name: string): number {
  const raw = block.subarray(offset, offset + length);
  if ((raw[0]! & 0x80) !== 0) {
    // GNU base-256: big-endian, high bit of the first byte set.
    let n = raw[0]! & 0x7f;
    for (let i = 1; i < raw.length; i++) n = n * 256 + raw[i]!;
    if (!Number.isSafeInteger(n)) throw new TarFormatError(at, `expected a ${name} below 2^53, found a larger base-256 number`);
    return n;
  }
  const text = field(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(at, `expected an octal ${name}, found ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function checksumOk(block: Buffer, at: number): boolean {
  const stored = numeric(block, 148, 8, at, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** Parses pax extended header records (`LEN key=value\n`…). */
export function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = Number(data.subarray(pos, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) break;
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return records;
}

const TYPES: Readonly<Record<string, TarEntryType>> = { '0': 'file', '\0': 'file', '': 'file', '7': 'file', '5': 'dir', '2': 'symlink', '1': 'hardlink' };
const cleanPath = (p: string) => p.replace(/^(?:\.?\/)+/, '');

/** The reader's state machine; see the file comment. */
export class TarReader {
  private readonly maxMetaBytes: number;
  private pending: Buffer = Buffer.alloc(0);
  private offset = 0; // bytes consumed, for messages
  private state: 'header' | 'data' | 'meta' | 'padding' | 'done' = 'header';
  private remaining = 0; // data bytes left in the current member
  private memberSize = 0; // the current member's size, for its padding
  private padding = 0;
  private metaFlag = '';
  private metaParts: Buffer[] = [];
  private longName: string | undefined;
  private longLink: string | undefined;
  private pax = new Map<string, string>();
  private globalPax = new Map<string, string>();

  constructor(options: { maxMetaBytes?: number } = {}) {
    this.maxMetaBytes = options.maxMetaBytes ?? MAX_TAR_META_BYTES;
  }

  /** Feeds bytes; returns the events they complete. */
  push(chunk: Uint8Array): TarEvent[] {
    const events: TarEvent[] = [];
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.pending = Buffer.alloc(0);
    while (buf.length > 0 && this.state !== 'done') {
      if (this.state === 'data' || this.state === 'meta') {
        const take = Math.min(this.remaining, buf.length);
        const part = buf.subarray(0, take);
        if (this.state === 'data') events.push({ kind: 'data', chunk: part });
        else this.metaParts.push(Buffer.from(part));
        buf = buf.subarray(take);
        this.offset += take;
        this.remaining -= take;
        if (this.remaining === 0) this.finishMember(events);
        continue;
      }
      if (this.state === 'padding') {
        const take = Math.min(this.padding, buf.length);
        buf = buf.subarray(take);
        this.offset += take;
        this.padding -= take;
        if (this.padding === 0) this.state = 'header';
        continue;
      }
      if (buf.length < BLOCK) {
        this.pending = Buffer.from(buf);
        break;
      }
      const block = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      this.readHeader(block, events);
      this.offset += BLOCK;
    }
    return events;
  }

  /** Declares the input complete; throws when it stopped inside a member. */
  end(): TarEvent[] {
    if (this.state === 'done' || (this.state === 'header' && this.pending.length === 0)) {
      // A missing end-of-archive marker after complete members is tolerated, as GNU tar does.
      if (this.state !== 'done') {
        this.state = 'done';
        return [{ kind: 'end' }];
      }
      return [];
    }
    throw new TarFormatError(this.offset, `archive truncated (expected ${this.state === 'header' ? 'a 512-byte header' : `${this.remaining + this.padding} more bytes`})`);
  }

  private readHeader(block: Buffer, events: TarEvent[]): void {
    if (block.every((b) => b === 0)) {
      this.state = 'done';
      events.push({ kind: 'end' });
      return;
    }
    const at = this.offset;
    if (!checksumOk(block, at)) throw new TarFormatError(at, 'header checksum mismatch (not a tar archive, or corrupt)');
    const flag = String.fromCharCode(block[156]!).replace('\0', '0');
    const size = numeric(block, 124, 12, at, 'size');
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      // Refused at the header, before any of it is buffered: a 600 MiB pax header is a memory bomb.
      if (size > this.maxMetaBytes) throw new TarFormatError(at, `expected a ${flag === 'x' || flag === 'g' ? 'pax' : 'GNU long-name'} header of at most ${this.maxMetaBytes} bytes, found one of ${size} bytes`);
      this.metaFlag = flag;
      this.metaParts = [];
      this.remaining = size;
      this.memberSize = size;
      this.state = 'meta';
      if (size === 0) this.finishMember(events);
      return;
    }
    const magic = field(block, 257, 6);
    const prefix = magic.startsWith('ustar') ? field(block, 345, 155) : '';
    let path = field(block, 0, 100);
    if (prefix !== '') path = `${prefix}/${path}`;
    const pax = new Map([...this.globalPax, ...this.pax]);
    path = this.longName ?? pax.get('path') ?? path;
    const paxSize = pax.get('size');
    const header: TarHeader = {
      path: cleanPath(path),
      type: TYPES[flag] ?? 'other',
      flag,
      size: paxSize !== undefined && /^[0-9]{1,15}$/.test(paxSize) ? Number(paxSize) : size,
      mode: numeric(block, 100, 8, at, 'mode'),
      linkname: this.longLink ?? pax.get('linkpath') ?? field(block, 157, 100),
    };
    this.longName = undefined;
    this.longLink = undefined;
    this.pax = new Map();
    // Directories, links and devices carry no data whatever their size field says.
    if (header.type === 'dir' || header.type === 'symlink' || header.type === 'hardlink' || flag === '3' || flag === '4' || flag === '6') header.size = 0;
    events.push({ kind: 'entry', header });
    this.remaining = header.size;
    this.memberSize = header.size;
    this.state = 'data';
    if (header.size === 0) this.finishMember(events);
  }

  private finishMember(events: TarEvent[]): void {
    if (this.state === 'meta') {
      const data = Buffer.concat(this.metaParts);
      this.metaParts = [];
      if (this.metaFlag === 'x') this.pax = parsePax(data);
      else if (this.metaFlag === 'g') {
        for (const [k, v] of parsePax(data)) this.globalPax.set(k, v);
        // Global headers accumulate: bound their sum too.
        let total = 0;
        for (const [k, v] of this.globalPax) total += k.length + v.length;
        if (total > this.maxMetaBytes) throw new TarFormatError(this.offset, `expected global pax headers of at most ${this.maxMetaBytes} bytes in all, found ${total}`);
      }
      else if (this.metaFlag === 'L') this.longName = field(data, 0, data.length);
      else this.longLink = field(data, 0, data.length);
    } else {
      events.push({ kind: 'entry-end' });
    }
    this.padding = (BLOCK - (this.memberSize % BLOCK)) % BLOCK;
    this.state = this.padding > 0 ? 'padding' : 'header';
  }
}
