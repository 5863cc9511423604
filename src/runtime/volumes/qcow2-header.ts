// What a qcow2 header says about files outside the image, read from its first bytes without
// QEMU: opening a qcow2 with an external data file (`data-file=`) or a backing file makes
// qemu-img and QEMU open that host path, so such an image from a registry is refused before
// any tool touches it.

const MAGIC = 0x514649fb; // "QFI\xfb"
/** incompatible_features bit 2: the guest data lives in an external file. */
const EXTERNAL_DATA_FILE = 1n << 2n;

export interface Qcow2Facts {
  version: number;
  hasBackingFile: boolean;
  hasExternalDataFile: boolean;
}

/** Bytes to read from the start of a file for qcow2Facts. */
export const QCOW2_HEADER_BYTES = 80;

/** The facts from a qcow2 header, or undefined when `head` does not start with the qcow2 magic. */
export function qcow2Facts(head: Buffer): Qcow2Facts | undefined {
  if (head.length < 20 || head.readUInt32BE(0) !== MAGIC) return undefined;
  const version = head.readUInt32BE(4);
  const hasBackingFile = head.readBigUInt64BE(8) !== 0n && head.readUInt32BE(16) !== 0;
  // Version 2 headers have no feature bits; a truncated v3 header is treated as having them all.
  const incompatible = version >= 3 ? (head.length >= 80 ? head.readBigUInt64BE(72) : ~0n) : 0n;
  return { version, hasBackingFile, hasExternalDataFile: (incompatible & EXTERNAL_DATA_FILE) !== 0n };
}

/** Why an image with this header may not back a guest's disk, or undefined when it may. */
export function qcow2Refusal(head: Buffer): string | undefined {
  const facts = qcow2Facts(head);
  if (facts === undefined) return undefined;
  if (facts.hasExternalDataFile) return 'expected a qcow2 without an external data file, found one with data-file set (it would open a host path)';
  if (facts.hasBackingFile) return 'expected a qcow2 without a backing file, found one with a backing file (it would open a host path)';
  return undefined;
}
