// The local storage class's files: one directory per PersistentVolumeClaim under
// `<data-dir>/volumes/<namespace>/<claim>/`, holding the disk (`disk.img` raw, or `disk.qcow2`)
// and `claim.json` (the claim's uid, format and size), written last so a claim directory
// without it was never finished. QEMU opens the disk directly (no overlay): what the guest
// writes stays when the VMI goes. The uid keeps a new claim of an old name off old data.
import { open, mkdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClaimFormat, VolumeMode } from '../../resources/claim-spec.ts';
import { insideRoot } from './pull-limits.ts';
import { runTool } from './run-tool.ts';

/** What claim.json records. */
export interface ClaimRecord {
  uid: string;
  format: ClaimFormat;
  sizeBytes: number;
  volumeMode: VolumeMode;
}

/** A provisioned claim: its record and where its disk is. */
export interface ClaimDisk extends ClaimRecord {
  dir: string;
  path: string;
}

/** The claim has no disk on this node (never provisioned, or provisioned for another uid). */
export class ClaimNotProvisionedError extends Error {
  constructor(
    readonly namespace: string,
    readonly claim: string,
    readonly why: string,
  ) {
    super(`persistentvolumeclaim ${namespace}/${claim}: ${why}`);
    this.name = 'ClaimNotProvisionedError';
  }
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const diskFile = (format: ClaimFormat): string => (format === 'raw' ? 'disk.img' : 'disk.qcow2');

/** The claim's directory under `root`; names that are not DNS names never become paths. */
export function claimDir(root: string, namespace: string, claim: string): string {
  for (const [what, v] of [['namespace', namespace], ['claim', claim]] as const) {
    if (!NAME.test(v) || v.length > 253) throw new ClaimNotProvisionedError(namespace, claim, `expected a DNS-1123 ${what} name, found ${JSON.stringify(v)}`);
  }
  return insideRoot(root, join(root, namespace, claim));
}

async function readRecord(dir: string): Promise<ClaimRecord | undefined> {
  const text = await readFile(join(dir, 'claim.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as Partial<ClaimRecord>;
    if (typeof r.uid !== 'string' || (r.format !== 'raw' && r.format !== 'qcow2') || typeof r.sizeBytes !== 'number') return undefined;
    return { uid: r.uid, format: r.format, sizeBytes: r.sizeBytes, volumeMode: r.volumeMode === 'Block' ? 'Block' : 'Filesystem' };
  } catch {
    return undefined;
  }
}

/** The claim's disk when provisioned (for `uid` when given), else undefined. */
export async function findClaim(root: string, namespace: string, claim: string, uid?: string): Promise<ClaimDisk | undefined> {
  const dir = claimDir(root, namespace, claim);
  const record = await readRecord(dir);
  if (!record || (uid !== undefined && record.uid !== uid)) return undefined;
  return { ...record, dir, path: join(dir, diskFile(record.format)) };
}

/** The claim's disk; throws ClaimNotProvisionedError naming the claim when there is none. */
export async function openClaim(root: string, namespace: string, claim: string): Promise<ClaimDisk> {
  const found = await findClaim(root, namespace, claim);
  if (!found) throw new ClaimNotProvisionedError(namespace, claim, 'no disk on this node (is the claim Bound?)');
  return found;
}

/** Creates an empty disk of `sizeBytes` at `path` (raw: sparse; qcow2: qemu-img). */
export async function createDisk(path: string, format: ClaimFormat, sizeBytes: number, options: { signal?: AbortSignal } = {}): Promise<void> {
  await rm(path, { force: true });
  if (format === 'qcow2') {
    await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', path, String(sizeBytes)], options);
    return;
  }
  await writeFile(path, '', { mode: 0o600 });
  await truncate(path, sizeBytes);
}

/**
 * Provisions the claim: an empty disk of its size and its record, unless already there for this
 * uid. A directory left by an earlier claim of the same name (another uid) is removed first.
 */
export async function provisionClaim(root: string, namespace: string, claim: string, record: ClaimRecord, options: { signal?: AbortSignal } = {}): Promise<ClaimDisk> {
  const existing = await findClaim(root, namespace, claim);
  if (existing?.uid === record.uid) return existing;
  const dir = claimDir(root, namespace, claim);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, diskFile(record.format));
  await createDisk(path, record.format, record.sizeBytes, options);
  await writeDurably(join(dir, 'claim.json'), JSON.stringify(record));
  return { ...record, dir, path };
}

/** Puts `file` (in the claim's directory) in place of the claim's disk, durably. */
export async function replaceClaimDisk(disk: ClaimDisk, file: string): Promise<void> {
  await fsyncFile(file);
  await rename(file, disk.path);
  await fsyncFile(disk.dir);
}

/** Removes the claim's files if they belong to `uid` (reclaimPolicy Delete). */
export async function removeClaim(root: string, namespace: string, claim: string, uid: string): Promise<boolean> {
  const dir = claimDir(root, namespace, claim);
  const record = await readRecord(dir);
  if (record && record.uid !== uid) return false;
  await rm(dir, { recursive: true, force: true });
  return true;
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeDurably(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await fsyncFile(tmp);
  await rename(tmp, path);
}
