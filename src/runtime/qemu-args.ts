// The QEMU command line for a VMI, from its device plan (resources/device-plan.ts) and what
// the runtime resolved (volume files, NIC backends, accelerator, firmware files). It decides
// only what QEMU can express (machine types, buses, NIC models). Pure: no I/O, so every device
// mapping is tested without starting QEMU. The files it names under runDir (sercon-port,
// OVMF vars copy) are written by the runtime before QEMU starts.
import { join } from 'node:path';
import type { DevicePlan, DiskPlan } from '../resources/device-plan.ts';
import { ARCH_PROFILES, type ArchProfile } from './qemu-arch.ts';

export interface ResolvedDisk {
  /** The disk/volume name in the spec. */
  name: string;
  path: string;
  format: 'qcow2' | 'raw';
  readonly?: boolean;
  cdrom?: boolean;
  /** A removable drive with no medium yet (the BMC's virtual CD): `path` is unused. */
  empty?: boolean;
}

/** The QEMU device id of the plan's i-th disk (its drive is `drive-<id>`): QMP names devices by it. */
export const diskDeviceId = (i: number): string => `disk${i}`;

export interface ResolvedNic {
  /** The interface/network name in the spec. */
  name: string;
  mac: string;
  /** Tap in the pod netns; without one (and no `user`) the NIC has no backend (see below). */
  tap?: string;
  /** Masquerade through QEMU's user-mode network stack (slirp) running in the pod netns. */
  user?: UserNetdev;
  bootOrder?: number;
  /** KubeVirt's model name: virtio, e1000, e1000e, rtl8139, igb, ne2k_pci, pcnet. */
  model: string;
}

/** A slirp network: the guest's subnet, the gateway/DHCP address and forwarded ports. */
export interface UserNetdev {
  /** CIDR of the guest's network, e.g. 10.0.2.0/24. */
  net: string;
  /** The gateway (and DHCP server) address, e.g. 10.0.2.1. */
  host: string;
  /** The one address DHCP hands the guest, e.g. 10.0.2.2. */
  guest: string;
  /** The DNS forwarder address slirp answers on, e.g. 10.0.2.3. */
  dns: string;
  /** Inbound ports: from hostAddress:port in the pod to the guest's port. */
  forwards: ReadonlyArray<{ protocol: 'tcp' | 'udp'; hostAddress: string; port: number }>;
}

/** The `-netdev user,…` option string for a UserNetdev. */
export function userNetdev(id: string, u: UserNetdev): string {
  const parts = [`user,id=${id}`, `net=${u.net}`, `host=${u.host}`, `dhcpstart=${u.guest}`, `dns=${u.dns}`, 'ipv6=off'];
  for (const f of u.forwards) parts.push(`hostfwd=${f.protocol}:${f.hostAddress}:${f.port}-${u.guest}:${f.port}`);
  return parts.join(',');
}

export interface QemuArgsContext {
  runDir: string;
  accel: 'kvm' | 'tcg';
  disks: readonly ResolvedDisk[];
  nics: readonly ResolvedNic[];
  /** UEFI firmware (OVMF, AAVMF on arm64): the read-only code and the per-VMI copy of the variables. */
  ovmf?: { code: string; vars: string; secureBoot?: boolean };
  /** Appended as given (tests: direct kernel boot). */
  extraArgs?: readonly string[];
  /** The unprivileged user QEMU becomes (`-runas`) once it has opened its files. */
  runAs?: string;
}

/** Raised when the spec asks for something this command line cannot express. */
export class QemuArgsError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly found: unknown,
  ) {
    super(`${path}: expected ${expected}, found ${JSON.stringify(found)}`);
    this.name = 'QemuArgsError';
  }
}

/** Files under a VMI's run dir that the command line names. */
export const runFiles = (runDir: string) => ({
  qmpSocket: join(runDir, 'qmp.sock'),
  serialSocket: join(runDir, 'serial.sock'),
  serialLog: join(runDir, 'serial.log'),
  vncSocket: join(runDir, 'vnc.sock'),
  pidfile: join(runDir, 'qemu.pid'),
  /** SeaBIOS's serial console port as fw_cfg file content (see serconPortBytes). */
  serconPort: join(runDir, 'sercon-port'),
  /** The one directory QEMU may still write after dropping to its user (see QEMU_DIR_FD). */
  qemuDir: join(runDir, 'qemu'),
});

/**
 * QEMU inherits its run dir's `qemu/` directory open as this descriptor. After `-runas` it can
 * no longer reach the run dir by path (the data dir is root's, 0700); files it must open later
 * (QMP `screendump`) are named `/proc/self/fd/3/<name>`, which reaches the directory
 * without walking the path above it.
 */
export const QEMU_DIR_FD = 3;

/** The path under which QEMU itself opens `name` in its inherited directory. */
export const inQemuDir = (name: string): string => `/proc/self/fd/${QEMU_DIR_FD}/${name}`;

/**
 * Content of the `etc/sercon-port` fw_cfg file: COM1 (0x3f8) as a little-endian integer.
 * SeaBIOS reads the file as binary, so a `string=0x3f8` would not do.
 */
export const serconPortBytes = (): Buffer => Buffer.from([0xf8, 0x03]);

/** QEMU's device for each KubeVirt NIC model. */
export const NIC_DEVICES: Readonly<Record<string, string>> = {
  virtio: 'virtio-net-pci',
  e1000: 'e1000',
  e1000e: 'e1000e',
  rtl8139: 'rtl8139',
  igb: 'igb',
  ne2k_pci: 'ne2k_pci',
  pcnet: 'pcnet',
};

// QEMU option values: a comma is written as two.
const opt = (s: string): string => s.replaceAll(',', ',,');

function cpuArgs(cpu: DevicePlan['cpu'], accel: 'kvm' | 'tcg', profile: ArchProfile): string[] {
  const { sockets, cores, threads, model } = cpu;
  const args = ['-smp', `${sockets * cores * threads},sockets=${sockets},cores=${cores},threads=${threads}`];
  // host-model/host-passthrough mean "like the host": `host` under KVM; under TCG there is
  // no host CPU to copy: QEMU's default model boots the x86 guests we run, arm64's virt
  // machine defaults to a 32-bit CPU, so it gets `max`.
  if (model === 'host-model' || model === 'host-passthrough' || model === '') {
    if (accel === 'kvm') args.push('-cpu', 'host');
    else if (profile.tcgCpu !== undefined) args.push('-cpu', profile.tcgCpu);
  } else {
    args.push('-cpu', opt(model));
  }
  return args;
}

function diskArgs(disks: readonly DiskPlan[], ctx: QemuArgsContext, profile: ArchProfile): string[] {
  const args: string[] = [];
  const controllers = new Set<string>();
  let ahciPort = 0;
  disks.forEach((disk, i) => {
    const name = disk.name;
    const resolved = ctx.disks.find((d) => d.name === name);
    if (!resolved) throw new QemuArgsError(`${disk.at}.name`, `a volume the runtime prepared (${ctx.disks.map((d) => d.name).join(', ') || 'none'})`, name);
    if (disk.kind === 'cdrom' && disk.bus !== 'sata' && disk.bus !== 'scsi') throw new QemuArgsError(`${disk.at}.cdrom.bus`, 'sata or scsi', disk.bus);
    const cdrom = disk.kind === 'cdrom' || resolved.cdrom === true;
    const readonly = disk.readonly || resolved.readonly === true || cdrom;
    const id = diskDeviceId(i);
    // An empty removable drive (the BMC's virtual CD): no file until QMP inserts one.
    let drive = resolved.empty ? `if=none,id=drive-${id}` : `if=none,id=drive-${id},file=${opt(resolved.path)},format=${resolved.format}`;
    if (readonly) drive += ',readonly=on';
    if (disk.cache !== undefined) drive += `,cache=${opt(disk.cache)}`;
    args.push('-drive', drive);
    let device: string;
    switch (disk.bus) {
      case 'virtio':
        device = `virtio-blk-pci,id=${id},drive=drive-${id}`;
        break;
      case 'sata':
        if (!profile.sata) throw new QemuArgsError(`${disk.at}.${disk.kind}.bus`, 'virtio, scsi or usb (the virt machine has no SATA controller)', disk.bus);
        // q35's built-in ICH9 AHCI controller: six ports, ide.0 … ide.5.
        if (ahciPort > 5) throw new QemuArgsError(`spec.domain.devices.disks[${i}]`, 'at most 6 sata disks (the q35 AHCI ports)', name);
        device = `${cdrom ? 'ide-cd' : 'ide-hd'},id=${id},bus=ide.${ahciPort++},drive=drive-${id}`;
        break;
      case 'scsi':
        if (!controllers.has('scsi')) {
          controllers.add('scsi');
          args.push('-device', 'virtio-scsi-pci,id=scsi0');
        }
        device = `${cdrom ? 'scsi-cd' : 'scsi-hd'},id=${id},bus=scsi0.0,drive=drive-${id}`;
        break;
      case 'usb':
        if (!controllers.has('usb')) {
          controllers.add('usb');
          args.push('-device', 'qemu-xhci,id=usb0');
        }
        device = `usb-storage,id=${id},bus=usb0.0,drive=drive-${id}`;
        break;
      default:
        throw new QemuArgsError(`${disk.at}.${disk.kind}.bus`, 'virtio, sata, scsi or usb', disk.bus);
    }
    // A volume that is an ISO on a `disk:` (cloud-init, configMap/secret) keeps the serial users find it by.
    if (disk.serial !== undefined && disk.kind !== 'cdrom') device += `,serial=${opt(disk.serial)}`;
    if (disk.bootOrder !== undefined) device += `,bootindex=${disk.bootOrder}`;
    args.push('-device', device);
  });
  return args;
}

/**
 * NICs. A NIC with a bootOrder keeps QEMU's default iPXE ROM (QEMU patches its PCI ids to
 * match the device; SeaBIOS skips a ROM named explicitly, even the same file), one without
 * gets `romfile=` (no ROM: never PXE-tried). A NIC without a tap gets no netdev: QEMU warns
 * "no peer" and the guest sees a NIC whose frames go nowhere — honest for a network that
 * is not wired yet (a slirp placeholder would hand the guest an address that means nothing).
 */
function nicArgs(ctx: QemuArgsContext, profile: ArchProfile): string[] {
  const args: string[] = [];
  ctx.nics.forEach((nic, i) => {
    const model = NIC_DEVICES[nic.model];
    if (model === undefined) throw new QemuArgsError(`interface ${nic.name}: model`, Object.keys(NIC_DEVICES).join(', '), nic.model);
    let device = `${model},id=net${i},mac=${nic.mac}`;
    if (nic.tap !== undefined) {
      args.push('-netdev', `tap,id=netdev${i},ifname=${opt(nic.tap)},script=no,downscript=no`);
      device += `,netdev=netdev${i}`;
    } else if (nic.user !== undefined) {
      args.push('-netdev', userNetdev(`netdev${i}`, nic.user));
      device += `,netdev=netdev${i}`;
    }
    // QEMU's NIC ROMs are x86 code: on arm64 AAVMF drives the NIC itself (VirtioNetDxe).
    if (nic.bootOrder !== undefined) device += `,bootindex=${nic.bootOrder}${profile.bios ? '' : ',romfile='}`;
    else device += ',romfile=';
    args.push('-device', device);
  });
  return args;
}

/** QEMU's seccomp sandbox with every optional deny (QEMU 7.2's set). */
export const SANDBOX = 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny';
/**
 * The sandbox for a QEMU that drops to a user: QEMU 7.2 installs the filter before `-runas`
 * takes effect, so `elevateprivileges=deny` would kill it at its own setgid (SIGSYS). Once
 * its real, effective and saved ids are the user's, set*id cannot raise them again.
 */
export const SANDBOX_RUNAS = 'on,obsolete=deny,spawn=deny,resourcecontrol=deny';

/** The QEMU arguments (without the binary) that run this VMI. */
export function qemuArgs(plan: DevicePlan, ctx: QemuArgsContext): string[] {
  const files = runFiles(ctx.runDir);
  const profile = ARCH_PROFILES[plan.arch];
  if (!profile.machine.test(plan.machine)) throw new QemuArgsError('spec.domain.machine.type', `${profile.machineExpected} (architecture ${plan.arch})`, plan.machine);
  const efi = plan.firmware.bootloader === 'efi';
  if (!efi && !profile.bios) throw new QemuArgsError('spec.domain.firmware.bootloader', `efi (architecture ${plan.arch} boots UEFI only)`, 'bios');
  if (plan.firmware.secureBoot && plan.arch !== 'amd64') throw new QemuArgsError('spec.domain.firmware.bootloader.efi.secureBoot', `false (no Secure Boot firmware for ${plan.arch})`, true);
  if (efi && !ctx.ovmf) throw new QemuArgsError('spec.domain.firmware.bootloader.efi', 'OVMF files from the runtime', undefined);
  const secureBoot = efi && ctx.ovmf?.secureBoot === true;

  const args = ['-name', `guest=${opt(`${plan.namespace}_${plan.name}`)}`];
  args.push('-machine', `${plan.machine}${secureBoot ? ',smm=on' : ''}`, '-accel', ctx.accel);
  args.push('-m', String(plan.memoryMiB));
  args.push(...cpuArgs(plan.cpu, ctx.accel, profile));
  // -nodefaults drops QEMU's implicit NIC, serial, monitor and VGA; what we want is added back.
  args.push('-nodefaults', '-no-user-config', '-display', 'none');
  // QEMU's seccomp filter: a guest that breaks out of the device model still cannot exec,
  // fork, change its privileges or scheduling, or use obsolete system calls.
  args.push('-sandbox', ctx.runAs === undefined ? SANDBOX : SANDBOX_RUNAS);
  // Everything is opened before the drop (disks, sockets, taps, logs, firmware); after it, QEMU
  // writes only through the descriptors it holds and in its inherited directory.
  if (ctx.runAs !== undefined) args.push('-runas', ctx.runAs);
  if (plan.firmware.uuid !== undefined) args.push('-uuid', plan.firmware.uuid);
  if (plan.firmware.serial !== undefined) args.push('-smbios', `type=1,serial=${opt(plan.firmware.serial)}`);

  if (efi && ctx.ovmf) {
    if (secureBoot) args.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${opt(ctx.ovmf.code)}`);
    args.push('-drive', `if=pflash,format=raw,unit=1,file=${opt(ctx.ovmf.vars)}`);
  } else {
    // SeaBIOS mirrors its text (and iPXE's, which prints through the BIOS) to COM1.
    args.push('-fw_cfg', `name=etc/sercon-port,file=${opt(files.serconPort)}`);
  }

  args.push('-chardev', `socket,id=serial0,path=${opt(files.serialSocket)},server=on,wait=off,logfile=${opt(files.serialLog)},logappend=on`);
  args.push('-serial', 'chardev:serial0');
  if (plan.graphics) args.push(...profile.display, '-vnc', `unix:${opt(files.vncSocket)}`);
  args.push('-qmp', `unix:${opt(files.qmpSocket)},server=on,wait=off`);
  args.push('-pidfile', files.pidfile);

  args.push(...diskArgs(plan.disks, ctx, profile));
  args.push(...nicArgs(ctx, profile));
  if (plan.rng) args.push('-device', 'virtio-rng-pci');

  const anyBootOrder = ctx.nics.some((n) => n.bootOrder !== undefined) || plan.disks.some((d) => d.bootOrder !== undefined);
  // Strict only when something has a boot index: with none, strict would leave nothing to boot.
  if (anyBootOrder) args.push('-boot', 'strict=on');
  args.push(...(ctx.extraArgs ?? []));
  return args;
}

/**
 * The QMP `qom-set … bootindex` steps that give a started guest its spec's boot order back
 * (a one-time override: QEMU rebuilds the firmware's boot order from these at the next reset,
 * guest-made or not). Changed devices are cleared first: QEMU refuses an index still in use.
 */
export function bootRestoreSteps(plan: Pick<DevicePlan, 'disks' | 'nics' | 'bootRestore'>): Array<{ path: string; value: number }> {
  const restore = plan.bootRestore;
  if (!restore) return [];
  const changed: Array<{ path: string; value: number }> = [];
  plan.disks.forEach((d, i) => {
    if (d.bootOrder !== restore.disks[i]) changed.push({ path: `/machine/peripheral/${diskDeviceId(i)}`, value: restore.disks[i] ?? -1 });
  });
  plan.nics.forEach((n, i) => {
    if (n.bootOrder !== restore.nics[i]) changed.push({ path: `/machine/peripheral/net${i}`, value: restore.nics[i] ?? -1 });
  });
  return [...changed.map((c) => ({ path: c.path, value: -1 })), ...changed.filter((c) => c.value !== -1)];
}
