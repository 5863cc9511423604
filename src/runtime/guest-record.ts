// guest.json in a VMI's run dir: what an observation needs beyond the process, written at
// start so that a restarted daemon can adopt the guest.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdirPrivateSync, writePrivateFileSync } from '../lib/private-file.ts';
import type { GuestObservation } from './types.ts';

/** What guest.json holds. */
export interface GuestRecord {
  uid: string;
  netns: string;
  runDir: string;
  softwareEmulation: boolean;
  interfaces: GuestObservation['interfaces'];
  annotations?: Record<string, string>;
  startedAt: string;
  /** The identity of the database the guest's VMI was stored in (ObjectStore.identity()). */
  storeId?: string;
  /** The user QEMU dropped to (`-runas`); absent: it runs as root. */
  qemuUser?: string;
  /** QEMU holds its run dir's `qemu/` directory as this descriptor (absent for guests started before it did). */
  qemuDirFd?: number;
  /** The QEMU device id of the BMC's virtual CD drive, when the guest has one (live media changes address it). */
  virtualCd?: string;
}

/** The pid in qemu.pid, or 0. */
export async function readPid(runDir: string): Promise<number> {
  const text = await readFile(join(runDir, 'qemu.pid'), 'utf8').catch(() => '0');
  return Number(text.trim()) || 0;
}

/** guest.json of a run dir, or undefined. */
export async function readGuestRecord(runDir: string): Promise<GuestRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(runDir, 'guest.json'), 'utf8')) as GuestRecord;
  } catch {
    return undefined;
  }
}

/** Writes guest.json atomically. */
export async function writeGuestRecord(runDir: string, record: GuestRecord): Promise<void> {
  mkdirPrivateSync(runDir);
  writePrivateFileSync(join(runDir, 'guest.json'), `${JSON.stringify(record, null, 2)}\n`, { atomic: true });
}
