// Architecture admission: the architectures pxevirt runs (amd64 natively or under KVM, arm64
// under QEMU's software emulation), and KubeVirt's arm64 rules (ValidateVirtualMachineInstanceArm64Setting):
// UEFI only, no Secure Boot, no SATA.
import { CauseType, join, type Cause } from './causes.ts';
import { cause } from './admission.ts';
import { listAt, objAt, type Obj } from './object-path.ts';

/** The values of spec.architecture pxevirt can run. */
export const ARCHITECTURES = ['amd64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The machine types allowed per architecture (KubeVirt's Default*EmulatedMachines), as globs. */
export const EMULATED_MACHINES_BY_ARCH: Readonly<Record<Architecture, readonly string[]>> = {
  amd64: ['q35*', 'pc-q35*'],
  arm64: ['virt*'],
};

/** The architecture a spec asks for; unset or "" is amd64 (KubeVirt's default on an amd64 node). */
export function architectureOf(spec: { architecture?: unknown }): string {
  return typeof spec.architecture === 'string' && spec.architecture !== '' ? spec.architecture : 'amd64';
}

/** spec.architecture is one pxevirt runs; on arm64, the firmware and disk buses the virt machine has. */
export function validateArchitecture(spec: Obj, base: string): Cause[] {
  const arch = architectureOf(spec);
  const field = join(base, 'architecture');
  if (!(ARCHITECTURES as readonly string[]).includes(arch)) {
    return [cause(CauseType.NotSupported, field, `${field}: expected one of ${ARCHITECTURES.join(', ')}, found ${JSON.stringify(spec.architecture)}`)];
  }
  if (arch !== 'arm64') return [];
  const causes: Cause[] = [];
  const domain = objAt(spec, 'domain');
  const bootloader = objAt(objAt(domain, 'firmware'), 'bootloader');
  if (objAt(bootloader, 'bios')) {
    const at = join(base, 'domain.firmware.bootloader.bios');
    causes.push(cause(CauseType.Invalid, at, `${at}: Arm64 does not support bios boot, please change to uefi boot (expected bootloader.efi or no bootloader with architecture arm64, found bios)`));
  }
  if (objAt(bootloader, 'efi')?.secureBoot === true) {
    const at = join(base, 'domain.firmware.bootloader.efi.secureBoot');
    causes.push(cause(CauseType.Invalid, at, `${at}: UEFI secure boot is currently not supported on aarch64 Arch (expected false with architecture arm64, found true)`));
  }
  listAt(objAt(domain, 'devices'), 'disks').forEach((disk, i) => {
    for (const target of ['disk', 'cdrom', 'lun'] as const) {
      if (objAt(disk, target)?.bus !== 'sata') continue;
      const at = join(base, `domain.devices.disks[${i}].${target}.bus`);
      causes.push(cause(CauseType.Invalid, at, `${at}: Arm64 not support SATA bus (expected virtio, scsi or usb with architecture arm64, found sata)`));
    }
  });
  return causes;
}
