// The BMC's virtual CD changed while the guest runs. QEMU changes a removable drive's medium
// live: the tray forced open (a guest that locked it is not asked), the old medium removed,
// the new one opened by QEMU itself and the tray closed, which the guest sees as a media
// change. QEMU runs as its own user by then and can no longer reach the media root, so the
// image is hard-linked into the one directory it still holds (its inode made readable by
// QEMU's group, not writable), or copied when the link cannot be made (another filesystem).
import { chmod, chown, copyFile, link, rename, rm } from 'node:fs/promises';
import type { DevicePlan } from '../resources/device-plan.ts';
import { VIRTUAL_CD_NAME } from '../resources/virtual-media.ts';
import { diskDeviceId } from './qemu-args.ts';

/** The name of the inserted image in QEMU's directory. */
export const LIVE_MEDIA_FILE = 'virtual-cd.iso';

/** The running guest has no virtual CD drive: it started before the VM had media. */
export class NoVirtualCdError extends Error {
  constructor(readonly uid: string) {
    super(`VMI ${uid}: its QEMU has no virtual CD drive (it started before its VM had virtual media); the medium is there from the next power-on`);
    this.name = 'NoVirtualCdError';
  }
}

/** QMP changing the medium failed; names the step and QEMU's words. */
export class LiveMediaError extends Error {
  constructor(
    readonly uid: string,
    readonly command: string,
    options: { cause: unknown },
  ) {
    super(`VMI ${uid}: changing the virtual CD live failed at QMP ${command}: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options);
    this.name = 'LiveMediaError';
  }
}

/** The guest record's note of the virtual CD drive a plan has (none: the VM had no media annotation). */
export function virtualCdOf(plan: Pick<DevicePlan, 'disks'>): { virtualCd?: string } {
  const i = plan.disks.findIndex((d) => d.name === VIRTUAL_CD_NAME && d.volume?.type === 'media');
  return i < 0 ? {} : { virtualCd: diskDeviceId(i) };
}

export interface QmpStep {
  command: string;
  args: Record<string, unknown>;
}

/** The QMP commands that leave drive `id` holding `qemuPath` (as QEMU names the file), or empty. */
export function mediaSteps(id: string, qemuPath: string | undefined): QmpStep[] {
  const out: QmpStep[] = [
    { command: 'blockdev-open-tray', args: { id, force: true } },
    { command: 'blockdev-remove-medium', args: { id } },
  ];
  if (qemuPath === undefined) return [...out, { command: 'blockdev-close-tray', args: { id } }];
  return [...out, { command: 'blockdev-change-medium', args: { id, filename: qemuPath, format: 'raw', 'read-only-mode': 'read-only' } }];
}

/** Runs the steps on one guest, naming the one that failed. */
export async function changeMedium(uid: string, execute: (command: string, args: Record<string, unknown>) => Promise<unknown>, steps: readonly QmpStep[]): Promise<void> {
  for (const step of steps) {
    try {
      await execute(step.command, step.args);
    } catch (err) {
      throw new LiveMediaError(uid, step.command, { cause: err });
    }
  }
}

/**
 * Puts the image at `source` where QEMU opens it (`hostPath`, in its directory): a hard link
 * replacing the previous one, else a copy; readable by QEMU's group when it runs as a user.
 */
export async function placeForQemu(source: string, hostPath: string, qemuGid: number | undefined): Promise<void> {
  const part = `${hostPath}.part`;
  await rm(part, { force: true });
  try {
    await link(source, part);
  } catch {
    await copyFile(source, part);
  }
  if (qemuGid !== undefined) {
    await chown(part, 0, qemuGid);
    await chmod(part, 0o640);
  }
  await rename(part, hostPath);
}
