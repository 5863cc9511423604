// The "newc" cpio format (the one the Linux kernel unpacks as an initramfs), written
// without an external tool so device nodes need no mknod and the output is byte-for-byte
// reproducible (fixed inode numbers, mtime 0).

/** One member of an archive; directories must come before what they contain. */
export type NewcEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Uint8Array; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/** Raised for a member the format cannot hold (absolute or empty path, field too large). */
export class NewcEntryError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cpio member ${JSON.stringify(path)}: ${reason}`);
    this.name = 'NewcEntryError';
  }
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => (4 - (n % 4)) % 4;

function header(fields: { ino: number; mode: number; nlink: number; size: number; rdevMajor: number; rdevMinor: number; nameSize: number }): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return (
    '070701' +
    [fields.ino, fields.mode, 0, 0, fields.nlink, 0, fields.size, 0, 0, fields.rdevMajor, fields.rdevMinor, fields.nameSize, 0].map(hex8).join('')
  );
}

function member(ino: number, path: string, mode: number, nlink: number, data: Uint8Array, rdev: [number, number]): Buffer[] {
  const name = Buffer.from(`${path}\0`, 'utf8');
  const head = Buffer.from(header({ ino, mode, nlink, size: data.length, rdevMajor: rdev[0], rdevMinor: rdev[1], nameSize: name.length }), 'ascii');
  return [head, name, Buffer.alloc(pad4(head.length + name.length)), Buffer.from(data.buffer, data.byteOffset, data.byteLength), Buffer.alloc(pad4(data.length))];
}

/** Encodes members as an uncompressed newc archive, trailer included. Pure. */
export function encodeNewc(entries: readonly NewcEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    if (e.path === '' || e.path.startsWith('/')) throw new NewcEntryError(e.path, 'expected a relative path such as "bin/sh"');
    switch (e.type) {
      case 'dir':
        parts.push(...member(ino++, e.path, S_IFDIR | (e.mode ?? 0o755), 2, new Uint8Array(0), [0, 0]));
        break;
      case 'file':
        if (e.data.length > 0xffffffff) throw new NewcEntryError(e.path, `expected at most 4 GiB, found ${e.data.length} bytes`);
        parts.push(...member(ino++, e.path, S_IFREG | (e.mode ?? 0o644), 1, e.data, [0, 0]));
        break;
      case 'symlink':
        parts.push(...member(ino++, e.path, S_IFLNK | 0o777, 1, Buffer.from(e.target, 'utf8'), [0, 0]));
        break;
      case 'char':
        parts.push(...member(ino++, e.path, S_IFCHR | (e.mode ?? 0o600), 1, new Uint8Array(0), [e.major, e.minor]));
        break;
    }
  }
  parts.push(...member(0, 'TRAILER!!!', 0, 1, new Uint8Array(0), [0, 0]));
  return Buffer.concat(parts);
}
