// What a QEMU command line differs in per guest architecture (spec.architecture): the binary,
// the machine types, the CPU under software emulation, the display device, and which boot
// paths the machine has. amd64 runs natively (KVM when it works); arm64 under TCG with AAVMF.
import type { Architecture } from '../resources/device-plan.ts';

/** What differs per guest architecture: QEMU's binary, machine types, and the devices the machine has. */
export interface ArchProfile {
  binary: string;
  machine: RegExp;
  machineExpected: string;
  /** -cpu for host-model/host-passthrough under TCG (none: QEMU's default model). */
  tcgCpu?: string;
  /** The display device VNC shows. */
  display: string[];
  /** The machine has the q35 AHCI controller sata disks attach to. */
  sata: boolean;
  /** BIOS boot exists (SeaBIOS); arm64 boots UEFI only. */
  bios: boolean;
}

export const ARCH_PROFILES: Readonly<Record<Architecture, ArchProfile>> = {
  amd64: { binary: 'qemu-system-x86_64', machine: /^(q35|pc-q35-[0-9.]+)$/, machineExpected: 'q35 or pc-q35-<version>', display: ['-vga', 'std'], sata: true, bios: true },
  arm64: {
    binary: 'qemu-system-aarch64',
    machine: /^virt(-[0-9.]+)?$/,
    machineExpected: 'virt or virt-<version>',
    // `max` has every feature TCG emulates; QEMU's own pointer-authentication algorithm is
    // much cheaper to emulate than the architected QARMA one.
    tcgCpu: 'max,pauth-impdef=on',
    display: ['-device', 'virtio-gpu-pci'],
    sata: false,
    bios: false,
  },
};

/** The architecture this machine's CPU runs natively (KVM is only ever used for it). */
export function hostArchitecture(nodeArch: string = process.arch): Architecture | undefined {
  return nodeArch === 'x64' ? 'amd64' : nodeArch === 'arm64' ? 'arm64' : undefined;
}
