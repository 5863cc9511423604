// KubeVirt's defaults for a VMI spec (pkg/defaults, api/core/v1/defaults.go), applied on create:
// pod network + bridge interface when none, a disk for every volume, disk targets and buses,
// machine type, CPU topology, guest memory, pull policy, and a firmware UUID.
import { uuidV5 } from '../lib/uuid.ts';
import { parseQuantity } from '../lib/quantity.ts';
import { ensureObj, isObj, listAt, objAt, type Obj } from './object-path.ts';

/** KubeVirt's namespace for firmware UUIDs (pkg/virt-controller/watch/vm/firmware.go). */
export const FIRMWARE_UUID_NAMESPACE = '6a1a24a1-4061-4607-8bf4-a3963d0c5895';

/**
 * The firmware UUID KubeVirt gives a VM: UUIDv5 of the name in its magic namespace
 * (`CalculateLegacyUUID`). pxevirt uses it for VMIs too, so a VMI's UUID is stable across
 * re-creation and the PXE server can select hosts by it.
 */
export function firmwareUuidFor(name: string): string {
  return uuidV5(FIRMWARE_UUID_NAMESPACE, name);
}

export const DEFAULT_MACHINE_TYPE = 'q35';
export const DEFAULT_DISK_BUS = 'sata';
/** KubeVirt's arm64 defaults (SetArm64Defaults): the virt machine, virtio disks, UEFI. */
export const ARM64_MACHINE_TYPE = 'virt';
export const ARM64_DISK_BUS = 'virtio';
export const DEFAULT_CPU_MODEL = 'host-model';

/**
 * What a VM template leaves to its instancetype and preference: those fields stay unset in the
 * template (as KubeVirt leaves them) and get their defaults in the VMI, after the expansion.
 */
export interface TemplateDefaults {
  /** An instancetype gives CPU and memory. */
  instancetype?: boolean;
  /** A preference may give the machine type, disk buses and firmware. */
  preference?: boolean;
}

/** Applies the defaults to a VMI spec in place. `name` seeds the firmware UUID. */
export function defaultVmiSpec(spec: Obj, name: string, leave: TemplateDefaults = {}): void {
  const domain = ensureObj(spec, 'domain');
  if (!leave.preference && (spec.architecture === undefined || spec.architecture === '')) spec.architecture = 'amd64';
  const arm64 = spec.architecture === 'arm64';

  if (!leave.preference) {
    const machine = ensureObj(domain, 'machine');
    if (machine.type === undefined || machine.type === '') machine.type = arm64 ? ARM64_MACHINE_TYPE : DEFAULT_MACHINE_TYPE;
  }

  if (!leave.instancetype) {
    defaultGuestMemory(domain);
    defaultCpu(domain);
  }
  defaultPullPolicies(spec);
  defaultNetwork(spec, domain);
  defaultVolumeDisks(spec, domain);
  if (!leave.preference) defaultDisks(domain, arm64 ? ARM64_DISK_BUS : DEFAULT_DISK_BUS);

  const firmware = ensureObj(domain, 'firmware');
  // arm64 boots UEFI only: no bootloader means EFI without Secure Boot (KubeVirt's arm64 default).
  if (arm64 && !isObj(firmware.bootloader)) firmware.bootloader = { efi: { secureBoot: false } };
  if (firmware.uuid === undefined || firmware.uuid === '') firmware.uuid = firmwareUuidFor(name);
  ensureObj(domain, 'features');
}

function defaultGuestMemory(domain: Obj): void {
  const memory = objAt(domain, 'memory');
  if (memory?.guest !== undefined) return;
  const resources = objAt(domain, 'resources');
  const request = objAt(resources, 'requests')?.memory;
  const limit = objAt(resources, 'limits')?.memory;
  const nonZero = (q: unknown): boolean => (parseQuantity(q)?.value ?? 0) !== 0;
  const hugepages = objAt(memory, 'hugepages')?.pageSize;
  const guest = nonZero(request) ? request : nonZero(limit) ? limit : parseQuantity(hugepages) ? hugepages : undefined;
  if (guest !== undefined) ensureObj(domain, 'memory').guest = guest;
}

function defaultCpu(domain: Obj): void {
  const cpu = ensureObj(domain, 'cpu');
  const unset = (k: string): boolean => cpu[k] === undefined || cpu[k] === 0;
  if (unset('cores') && unset('sockets') && unset('threads')) {
    const resources = objAt(domain, 'resources');
    const cpus = parseQuantity(objAt(resources, 'limits')?.cpu) ?? parseQuantity(objAt(resources, 'requests')?.cpu);
    cpu.sockets = cpus ? Math.max(1, Math.ceil(cpus.value)) : 1;
    cpu.cores = 1;
    cpu.threads = 1;
  }
  if (cpu.model === undefined || cpu.model === '') cpu.model = DEFAULT_CPU_MODEL;
}

function defaultPullPolicies(spec: Obj): void {
  for (const volume of listAt(spec, 'volumes')) {
    const cd = objAt(volume, 'containerDisk');
    if (!cd || (cd.imagePullPolicy !== undefined && cd.imagePullPolicy !== '')) continue;
    const image = typeof cd.image === 'string' ? cd.image : '';
    cd.imagePullPolicy = image.endsWith(':latest') || !/[:@]/.test(image) ? 'Always' : 'IfNotPresent';
  }
}

/** No interfaces and no networks: the pod network with the default (bridge) binding, as pxevirt's notes say. */
function defaultNetwork(spec: Obj, domain: Obj): void {
  const devices = ensureObj(domain, 'devices');
  if (devices.autoattachPodInterface === false) return;
  const networks = Array.isArray(spec.networks) ? spec.networks : [];
  const interfaces = Array.isArray(devices.interfaces) ? devices.interfaces : [];
  if (networks.length > 0 || interfaces.length > 0) return;
  devices.interfaces = [{ name: 'default', bridge: {} }];
  spec.networks = [{ name: 'default', pod: {} }];
}

/** Every volume without a disk gets one named after it (KubeVirt's SetDefaultVolumeDisk). */
function defaultVolumeDisks(spec: Obj, domain: Obj): void {
  const devices = ensureObj(domain, 'devices');
  const disks = Array.isArray(devices.disks) ? devices.disks : [];
  const names = new Set(disks.filter(isObj).map((d) => d.name));
  for (const volume of listAt(spec, 'volumes')) {
    if (typeof volume.name === 'string' && !names.has(volume.name)) {
      disks.push({ name: volume.name });
      names.add(volume.name);
    }
  }
  if (disks.length > 0 || Array.isArray(devices.disks)) devices.disks = disks;
}

/** A disk with no target becomes `disk: {}`; an unset bus becomes `bus` (sata on amd64, virtio on arm64); CD-ROMs are read-only. */
function defaultDisks(domain: Obj, bus: string): void {
  for (const disk of listAt(objAt(domain, 'devices'), 'disks')) {
    if (!isObj(disk.disk) && !isObj(disk.cdrom) && !isObj(disk.lun)) disk.disk = {};
    for (const target of ['disk', 'cdrom', 'lun'] as const) {
      const t = objAt(disk, target);
      if (t && (t.bus === undefined || t.bus === '')) t.bus = bus;
    }
    const cdrom = objAt(disk, 'cdrom');
    if (cdrom) {
      if (cdrom.readonly === undefined) cdrom.readonly = true;
      if (cdrom.tray === undefined || cdrom.tray === '') cdrom.tray = 'closed';
    }
  }
}
