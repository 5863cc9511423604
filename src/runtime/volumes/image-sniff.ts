// What a downloaded file is, from its first bytes, without QEMU: gzip or xz (to decompress),
// then qcow2 or a raw disk. CDI takes any other bytes as a raw disk; pxevirt refuses what
// plainly is not one (text such as an HTML error page, an archive, a size that is not whole
// sectors) so a wrong URL ends Failed instead of booting garbage, and takes no other image
// format (vmdk and friends can name host files).
import { qcow2Facts, qcow2Refusal } from './qcow2-header.ts';

/** Bytes to read from the start of a file for the checks here. */
export const SNIFF_BYTES = 4096;

export type Compression = 'gzip' | 'xz' | 'none';

/** The compression a file's first bytes announce. */
export function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

const SIGNATURES: ReadonlyArray<[string, number, string]> = [
  ['KDMV', 0, 'a vmdk image'],
  ['# Disk DescriptorFile', 0, 'a vmdk descriptor'],
  ['vhdxfile', 0, 'a vhdx image'],
  ['conectix', 0, 'a vhd image'],
  ['<<< Oracle VM VirtualBox Disk Image >>>', 0, 'a vdi image'],
  ['PK\x03\x04', 0, 'a zip archive'],
  ['BZh', 0, 'a bzip2 stream'],
  ['\x28\xb5\x2f\xfd', 0, 'a zstd stream'],
  ['ustar', 257, 'a tar archive'],
];

/** Whether the bytes look like text: no NUL and nearly all printable (an HTML page, a README). */
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0 || head.includes(0)) return false;
  let printable = 0;
  for (const b of head) if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 0xc0) printable++;
  return printable / head.length > 0.95;
}

/** The format of a decompressed image, or why it is not a disk image pxevirt takes. */
export function diskImageFormat(head: Buffer, size: number): { format: 'qcow2' | 'raw' } | { refusal: string } {
  if (qcow2Facts(head)) {
    const why = qcow2Refusal(head);
    return why === undefined ? { format: 'qcow2' } : { refusal: why };
  }
  for (const [magic, at, what] of SIGNATURES) {
    if (head.length >= at + magic.length && head.subarray(at, at + magic.length).toString('latin1') === magic) return { refusal: `expected a qcow2 or raw disk image, found ${what}` };
  }
  if (size === 0) return { refusal: 'expected a qcow2 or raw disk image, found an empty file' };
  if (looksLikeText(head)) {
    const start = head.subarray(0, 40).toString('utf8').replace(/\s+/g, ' ').trim();
    return { refusal: `expected a qcow2 or raw disk image, found text (starting ${JSON.stringify(start)})` };
  }
  if (size % 512 !== 0) return { refusal: `expected a qcow2 image or a raw disk of whole 512-byte sectors, found ${size} bytes` };
  return { format: 'raw' };
}
