// A POSIX ustar archive writer for the few members a containerDisk layer needs (a
// directory and one file), so building the test image needs no tar program or package.

/** One member; directories before what they contain. Paths are relative ("disk/disk.img"). */
export type UstarEntry = { type: 'dir'; path: string; mode?: number } | { type: 'file'; path: string; size: number; mode?: number };

/** Raised for a member ustar cannot hold. */
export class UstarEntryError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`tar member ${JSON.stringify(path)}: ${reason}`);
    this.name = 'UstarEntryError';
  }
}

const BLOCK = 512;
const MAX_SIZE = 8 ** 11 - 1; // 11 octal digits

function putString(block: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  bytes.copy(block, offset, 0, Math.min(bytes.length, length));
}

const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, '0')}\0`;

/** The 512-byte header of one member (uid/gid 0, mtime 0). Pure. */
export function ustarHeader(entry: UstarEntry): Buffer {
  const isDir = entry.type === 'dir';
  let path = entry.path.replace(/\/+$/, '');
  if (path === '' || path.startsWith('/') || path.split('/').includes('..')) {
    throw new UstarEntryError(entry.path, 'expected a relative path without ".." such as "disk/disk.img"');
  }
  if (isDir) path += '/';
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    // Split at a '/' so that the prefix fits in 155 bytes and the rest in 100.
    const cut = path.lastIndexOf('/', path.length - (isDir ? 2 : 1));
    prefix = cut > 0 ? path.slice(0, cut) : '';
    name = cut > 0 ? path.slice(cut + 1) : path;
    if (Buffer.byteLength(prefix) > 155 || Buffer.byteLength(name) > 100) throw new UstarEntryError(entry.path, 'expected a path of at most 255 bytes');
  }
  const size = isDir ? 0 : entry.size;
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_SIZE) throw new UstarEntryError(entry.path, `expected a size of 0..${MAX_SIZE} bytes, found ${size}`);
  const block = Buffer.alloc(BLOCK);
  putString(block, 0, 100, name);
  putString(block, 100, 8, octal(entry.mode ?? (isDir ? 0o755 : 0o644), 8));
  putString(block, 108, 8, octal(0, 8));
  putString(block, 116, 8, octal(0, 8));
  putString(block, 124, 12, octal(size, 12));
  putString(block, 136, 12, octal(0, 12));
  block.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  putString(block, 156, 1, isDir ? '5' : '0');
  putString(block, 257, 6, 'ustar\0');
  putString(block, 263, 2, '00');
  putString(block, 265, 32, 'root');
  putString(block, 297, 32, 'root');
  putString(block, 345, 155, prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  putString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** Zero bytes that pad a member of `size` bytes to a whole block. */
export const ustarPadding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** The end of an archive: two zero blocks. */
export const ustarEnd = (): Buffer => Buffer.alloc(2 * BLOCK);

/**
 * Streams an archive: headers, then each file's content from `content(entry)`, padded.
 * Content must yield exactly `size` bytes.
 */
export async function* ustarStream(entries: readonly UstarEntry[], content: (entry: UstarEntry & { type: 'file' }) => AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    yield ustarHeader(entry);
    if (entry.type !== 'file') continue;
    let written = 0;
    for await (const chunk of content(entry)) {
      written += chunk.length;
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    if (written !== entry.size) throw new UstarEntryError(entry.path, `expected ${entry.size} bytes of content, found ${written}`);
    yield ustarPadding(entry.size);
  }
  yield ustarEnd();
}
