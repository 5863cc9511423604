// The device plan: what a VMI's typed spec means for the machine that runs it, derived once
// and pure — machine type, firmware, CPU topology, memory, disks with their bus, boot index
// and backing volume, NICs (nic-plan.ts), volumes, and what cloud-init is told. The network
// layer and the runtime (QEMU arguments, volumes) consume this plan, never the spec: one rule
// per field, here. What QEMU can express (buses, models, machine types) stays in qemu-args.ts.
import { parseQuantity } from '../lib/quantity.ts';
import { bootIndex } from './boot-index.ts';
import { applyBootOverride, BOOT_OVERRIDE_ANNOTATION, overrideActive, parseBootOverride } from './boot-override.ts';
import { planNics, type NicPlan } from './nic-plan.ts';
import { parseInsertedMedia, VIRTUAL_CD_NAME, VIRTUAL_MEDIA_ANNOTATION } from './virtual-media.ts';
import type { DomainSpec } from './vmi-domain-schema.ts';
import type { VmiVolume } from './vmi-schema.ts';
import type { Vmi } from './vmi-spec.ts';
import { ARCHITECTURES, architectureOf, type Architecture } from './vmi-arch-rules.ts';

export { bootIndex } from './boot-index.ts';
export { generatedMac, nicMac, NetworkPlanError, planNics, type Binding, type NicPlan } from './nic-plan.ts';
export type { Vmi } from './vmi-spec.ts';
export type { Architecture } from './vmi-arch-rules.ts';

/** BIOS (SeaBIOS) or UEFI (OVMF); secureBoot only when the spec asks for it explicitly. */
export interface FirmwarePlan {
  bootloader: 'bios' | 'efi';
  secureBoot: boolean;
  /** SMBIOS system UUID and serial. */
  uuid?: string;
  serial?: string;
}

export interface DiskPlan {
  /** The disk's (and its volume's) name. */
  name: string;
  /** Where the disk is in the spec, for messages: `spec.domain.devices.disks[0]`. */
  at: string;
  kind: 'disk' | 'cdrom' | 'lun';
  /** The bus the spec asks for; sata when it names none. */
  bus: string;
  /** Read-only: asked for, or a CD-ROM not explicitly writable. */
  readonly: boolean;
  bootOrder?: number;
  cache?: string;
  serial?: string;
  /** The volume backing it; absent when the spec has none of the disk's name. */
  volume?: VolumePlan;
}

export type CloudInitSource = NonNullable<VmiVolume['cloudInitNoCloud']>;

/** The kinds a config disk is made from. */
export type ConfigVolumeKind = 'ConfigMap' | 'Secret';
/** KubeVirt's volume label for a config disk whose volumeLabel is unset (pkg/util/disk CreateIsoImage). */
export const DEFAULT_CONFIG_LABEL = 'cfgdata';

/** A volume and the source the runtime prepares it from; `unsupported` names the type found. */
export type VolumePlan =
  | { name: string; type: 'containerDisk'; image: string; pullPolicy?: 'Always' | 'Never' | 'IfNotPresent'; path?: string }
  | { name: string; type: 'cloudInitNoCloud'; source: CloudInitSource }
  | { name: string; type: 'emptyDisk'; capacity: string | number }
  /** A PersistentVolumeClaim's file, opened directly (a dataVolume volume uses the claim of its name). */
  | { name: string; type: 'claim'; claimName: string; from: 'persistentVolumeClaim' | 'dataVolume'; readonly: boolean }
  /** A ConfigMap's or Secret's keys as files on an ISO 9660 disk (KubeVirt's config disks); `optional`: a missing object gives an empty disk. */
  | { name: string; type: 'config'; kind: ConfigVolumeKind; objectName: string; optional: boolean; label: string }
  /** A BMC's virtual CD (virtual-media.ts): the VM's downloaded image (none: an empty drive), added by the annotation, not the spec. */
  | { name: string; type: 'media'; vmUid: string; image?: string }
  | { name: string; type: 'unsupported'; found: string };

/** The volumes of a VMI and what cloud-init is told (instance-id, local-hostname). */
export interface VolumesPlan {
  volumes: VolumePlan[];
  cloudInit: { instanceId: string; hostname: string };
}

export interface DevicePlan extends VolumesPlan {
  name: string;
  namespace: string;
  uid: string;
  /** The guest's architecture (spec.architecture): amd64, or arm64 (UEFI only, virt machine). */
  arch: Architecture;
  /** The machine type as asked (q35 when unset, virt on arm64); qemu-args checks QEMU can run it. */
  machine: string;
  firmware: FirmwarePlan;
  cpu: { sockets: number; cores: number; threads: number; model: string };
  memoryMiB: number;
  disks: DiskPlan[];
  nics: NicPlan[];
  /** VGA + VNC (autoattachGraphicsDevice, on unless false). */
  graphics: boolean;
  /** A virtio-rng device: asked for (devices.rng), or added by autoRng. */
  rng: boolean;
  /** The RNG was added by pxevirt, not asked for (the controller says so in an Event). */
  rngAdded: boolean;
  /**
   * A one-time boot override (boot-override.ts) shaped disks' and NICs' boot orders: the
   * spec's own, by index, which the runtime restores once QEMU has started.
   */
  bootRestore?: { disks: Array<number | undefined>; nics: Array<number | undefined> };
}

/** Set to "false" on a VMI to keep pxevirt from adding an RNG for EFI network boot. */
export const AUTO_RNG_ANNOTATION = 'pxevirt.io/auto-rng';

/**
 * EFI firmware (edk2 since stable202405) lists no PXE or HTTP boot entries without an entropy
 * source, so an EFI VMI with a NIC in its boot order gets a virtio-rng unless it asked for one
 * already or opted out with the annotation.
 */
export function autoRng(vmi: Vmi, firmware: FirmwarePlan, nics: readonly NicPlan[]): boolean {
  if (vmi.spec.domain.devices.rng !== undefined && vmi.spec.domain.devices.rng !== null) return false;
  if (vmi.metadata.annotations?.[AUTO_RNG_ANNOTATION] === 'false') return false;
  return firmware.bootloader === 'efi' && nics.some((n) => n.bootOrder !== undefined);
}

/** A VMI's spec asks for a device setting pxevirt cannot run. */
export class DevicePlanError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly found: unknown,
  ) {
    super(`${path}: expected ${expected}, found ${JSON.stringify(found)}`);
    this.name = 'DevicePlanError';
  }
}

const MiB = 2 ** 20;

/** Guest memory in MiB (rounded up) from memory.guest, else resources.requests.memory, else limits. */
export function guestMemoryMiB(domain: Pick<DomainSpec, 'memory' | 'resources'>): number {
  const candidates: Array<[string, unknown]> = [
    ['spec.domain.memory.guest', domain.memory?.guest],
    ['spec.domain.resources.requests.memory', domain.resources?.requests?.memory],
    ['spec.domain.resources.limits.memory', domain.resources?.limits?.memory],
  ];
  for (const [path, value] of candidates) {
    if (value === undefined) continue;
    const q = parseQuantity(value);
    if (q === undefined || q.value <= 0) throw new DevicePlanError(path, 'a positive memory quantity such as 128Mi or 1024M', value);
    return Math.ceil(Math.ceil(q.value) / MiB);
  }
  throw new DevicePlanError('spec.domain.memory.guest', 'a guest memory size (memory.guest or resources.requests.memory)', undefined);
}

/** spec.architecture as one pxevirt runs; throws DevicePlanError for another. */
export function planArch(spec: { architecture?: string | undefined }): Architecture {
  const arch = architectureOf(spec);
  if (!(ARCHITECTURES as readonly string[]).includes(arch)) throw new DevicePlanError('spec.architecture', ARCHITECTURES.join(' or '), spec.architecture);
  return arch as Architecture;
}

/** The one reading of spec.domain.firmware; arm64 is UEFI only (no bootloader means EFI). */
export function planFirmware(domain: Pick<DomainSpec, 'firmware'>, arch: Architecture = 'amd64'): FirmwarePlan {
  const firmware = domain.firmware ?? {};
  if (arch === 'arm64' && firmware.bootloader?.bios) throw new DevicePlanError('spec.domain.firmware.bootloader.bios', 'bootloader.efi (arm64 boots UEFI only)', firmware.bootloader.bios);
  const efi = firmware.bootloader?.efi ?? (arch === 'arm64' ? {} : undefined);
  const plan: FirmwarePlan = { bootloader: efi ? 'efi' : 'bios', secureBoot: efi?.secureBoot === true };
  if (firmware.uuid !== undefined && firmware.uuid !== '') plan.uuid = firmware.uuid;
  if (firmware.serial !== undefined && firmware.serial !== '') plan.serial = firmware.serial;
  return plan;
}

const positive = (v: number | undefined): number => (v !== undefined && Number.isInteger(v) && v > 0 ? v : 1);

function planDisks(domain: DomainSpec, volumes: readonly VolumePlan[], defaultBus: string): DiskPlan[] {
  return (domain.devices.disks ?? []).map((disk, i) => {
    const kind = disk.cdrom ? 'cdrom' : disk.lun ? 'lun' : 'disk';
    const target = disk.cdrom ?? disk.lun ?? disk.disk ?? {};
    const plan: DiskPlan = {
      name: disk.name,
      at: `spec.domain.devices.disks[${i}]`,
      kind,
      bus: target.bus !== undefined && target.bus !== '' ? target.bus : defaultBus,
      readonly: target.readonly === true || (kind === 'cdrom' && target.readonly !== false),
    };
    const boot = bootIndex(disk.bootOrder);
    if (boot !== undefined) plan.bootOrder = boot;
    if (disk.cache !== undefined && disk.cache !== '') plan.cache = disk.cache;
    if (disk.serial !== undefined && disk.serial !== '') plan.serial = disk.serial;
    const volume = volumes.find((v) => v.name === disk.name);
    if (volume) plan.volume = volume;
    return plan;
  });
}

function planVolume(v: VmiVolume): VolumePlan {
  if (v.containerDisk) {
    const cd = v.containerDisk;
    const plan: VolumePlan = { name: v.name, type: 'containerDisk', image: cd.image };
    if (cd.imagePullPolicy === 'Always' || cd.imagePullPolicy === 'Never' || cd.imagePullPolicy === 'IfNotPresent') plan.pullPolicy = cd.imagePullPolicy;
    if (cd.path !== undefined && cd.path !== '') plan.path = cd.path;
    return plan;
  }
  if (v.cloudInitNoCloud) return { name: v.name, type: 'cloudInitNoCloud', source: v.cloudInitNoCloud };
  if (v.emptyDisk) return { name: v.name, type: 'emptyDisk', capacity: v.emptyDisk.capacity };
  if (v.persistentVolumeClaim) return { name: v.name, type: 'claim', claimName: v.persistentVolumeClaim.claimName, from: 'persistentVolumeClaim', readonly: v.persistentVolumeClaim.readOnly === true };
  if (v.dataVolume) return { name: v.name, type: 'claim', claimName: v.dataVolume.name, from: 'dataVolume', readonly: false };
  const config = v.configMap ? { kind: 'ConfigMap' as const, objectName: v.configMap.name, ...v.configMap } : v.secret ? { kind: 'Secret' as const, objectName: v.secret.secretName, ...v.secret } : undefined;
  if (config) {
    const label = config.volumeLabel !== undefined && config.volumeLabel !== '' ? config.volumeLabel : DEFAULT_CONFIG_LABEL;
    return { name: v.name, type: 'config', kind: config.kind, objectName: config.objectName ?? '', optional: config.optional === true, label };
  }
  return { name: v.name, type: 'unsupported', found: Object.keys(v).find((k) => k !== 'name') ?? '(none)' };
}

/** The volumes of a VMI, in spec order, and the cloud-init identity (firmware UUID else uid; hostname else name). */
export function planVolumes(vmi: Vmi): VolumesPlan {
  const firmware = planFirmware(vmi.spec.domain);
  const hostname = vmi.spec.hostname !== undefined && vmi.spec.hostname !== '' ? vmi.spec.hostname : vmi.metadata.name;
  return { volumes: (vmi.spec.volumes ?? []).map(planVolume), cloudInit: { instanceId: firmware.uuid ?? vmi.metadata.uid, hostname } };
}

/** Whether the runtime will add an RNG to this VMI (autoRng over its plan); false when the plan refuses the spec. */
export function rngAddedFor(vmi: Vmi): boolean {
  try {
    return autoRng(vmi, planFirmware(vmi.spec.domain, planArch(vmi.spec)), planNics(vmi.spec));
  } catch {
    return false;
  }
}

/** The Event message when pxevirt adds the RNG. */
export const RNG_ADDED_MESSAGE = `Added a virtio-rng device: EFI firmware lists no network boot entries without an entropy source (annotate ${AUTO_RNG_ANNOTATION}: "false" to leave it out)`;

/**
 * The BMC's virtual CD-ROM when the VMI carries the VM's media annotation (its copy, with the
 * VM's uid): a read-only SATA CD-ROM after the spec's disks, empty when no image is inserted.
 * A spec disk of the same name wins.
 */
function virtualCd(vmi: Vmi, disks: readonly DiskPlan[]): { disk: DiskPlan; volume: VolumePlan } | undefined {
  const media = parseInsertedMedia(vmi.metadata.annotations?.[VIRTUAL_MEDIA_ANNOTATION]);
  if (!media?.vmUid || disks.some((d) => d.name === VIRTUAL_CD_NAME)) return undefined;
  const volume: VolumePlan = { name: VIRTUAL_CD_NAME, type: 'media', vmUid: media.vmUid, ...(media.image === undefined ? {} : { image: media.image }) };
  return { disk: { name: VIRTUAL_CD_NAME, at: `metadata.annotations[${VIRTUAL_MEDIA_ANNOTATION}]`, kind: 'cdrom', bus: 'sata', readonly: true, volume }, volume };
}

/** The device plan of a VMI; throws DevicePlanError or NetworkPlanError naming the field it cannot run. */
export function planVmi(vmi: Vmi): DevicePlan {
  const domain = vmi.spec.domain;
  const cpu = domain.cpu ?? {};
  const volumes = planVolumes(vmi);
  const devices = domain.devices;
  const specNics = planNics(vmi.spec);
  const arch = planArch(vmi.spec);
  const specDisks = planDisks(domain, volumes.volumes, arch === 'arm64' ? 'virtio' : 'sata');
  const media = virtualCd(vmi, specDisks);
  if (media) {
    specDisks.push(media.disk);
    volumes.volumes.push(media.volume);
  }
  const override = parseBootOverride(vmi.metadata.annotations?.[BOOT_OVERRIDE_ANNOTATION]);
  const { disks, nics } = applyBootOverride(specDisks, specNics, override);
  const firmware = planFirmware(domain, arch);
  const rngAdded = autoRng(vmi, firmware, nics);
  const bootRestore = overrideActive(override) && override.enabled === 'Once' ? { disks: specDisks.map((d) => d.bootOrder), nics: specNics.map((n) => n.bootOrder) } : undefined;
  return {
    name: vmi.metadata.name,
    namespace: vmi.metadata.namespace ?? 'default',
    uid: vmi.metadata.uid,
    arch,
    machine: domain.machine?.type ?? (arch === 'arm64' ? 'virt' : 'q35'),
    firmware,
    cpu: { sockets: positive(cpu.sockets), cores: positive(cpu.cores), threads: positive(cpu.threads), model: cpu.model ?? 'host-model' },
    memoryMiB: guestMemoryMiB(domain),
    disks,
    nics,
    ...volumes,
    graphics: devices.autoattachGraphicsDevice !== false,
    rng: (devices.rng !== undefined && devices.rng !== null) || rngAdded,
    rngAdded,
    ...(bootRestore ? { bootRestore } : {}),
  };
}
