// Builds a bootable ISO 9660 image of the test guest (ISOLINUX, El Torito no-emulation boot,
// which SeaBIOS boots from a CD-ROM): the kernel, initramfs and isolinux.cfg under /isolinux.
// The tests insert it as a BMC's virtual CD; its guest prints its own marker, so a test tells
// the CD's boot from the disk's. Rebuilt each time (xorriso takes well under a second).
//
//   node --import tsx scripts/guest/iso-image.ts NAME   → prints {path, marker}
import { execFile } from 'node:child_process';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildTestGuest } from '../test-guest.ts';
import { DiskToolError, syslinuxConfig } from './disk-image.ts';

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Debian's isolinux package: the El Torito boot loader; syslinux-common: the module it loads. */
export const ISOLINUX_BIN = '/usr/lib/ISOLINUX/isolinux.bin';
export const LDLINUX_C32 = '/usr/lib/syslinux/modules/bios/ldlinux.c32';

export interface TestIso {
  path: string;
  /** The console line the CD's guest prints once its init runs. */
  marker: string;
}

/** Builds the ISO of the test guest `name` into build/iso/<name>/cd.iso. */
export async function buildTestIso(options: { name: string; outDir?: string }): Promise<TestIso> {
  const guest = await buildTestGuest({ name: options.name });
  const outDir = resolve(options.outDir ?? join(repoRoot, 'build', 'iso', options.name));
  const tree = join(outDir, 'tree');
  await rm(tree, { recursive: true, force: true });
  await mkdir(join(tree, 'isolinux'), { recursive: true });
  try {
    await copyFile(ISOLINUX_BIN, join(tree, 'isolinux', 'isolinux.bin'));
    await copyFile(LDLINUX_C32, join(tree, 'isolinux', 'ldlinux.c32'));
  } catch (err) {
    throw new DiskToolError('isolinux', 'isolinux syslinux-common', (err as Error).message);
  }
  await copyFile(guest.kernel, join(tree, 'isolinux', 'vmlinuz'));
  await copyFile(guest.initrd, join(tree, 'isolinux', 'initrd.gz'));
  await writeFile(join(tree, 'isolinux', 'isolinux.cfg'), syslinuxConfig());
  const path = join(outDir, 'cd.iso');
  const args = ['-as', 'mkisofs', '-quiet', '-o', path, '-V', 'PXEVIRT_CD', '-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table', tree];
  try {
    await run('xorriso', args, { maxBuffer: 16 << 20 });
  } catch (err) {
    throw new DiskToolError('xorriso', 'xorriso', ((err as { stderr?: string }).stderr ?? '').trim() || (err as Error).message);
  }
  await rm(tree, { recursive: true, force: true });
  return { path, marker: guest.marker };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const name = process.argv[2];
  if (!name) {
    console.error('usage: iso-image.ts NAME');
    process.exit(2);
  }
  console.log(JSON.stringify(await buildTestIso({ name })));
}
