// A preference fills what the VM left unset (KubeVirt's pkg/instancetype/preference/apply):
// device models and buses, firmware, machine type, features, clock, grace period, subdomain.
// Preferences for devices pxevirt does not model are left out and named.
import { clone, ensureObj, isObj, listAt, objAt, type Obj } from './object-path.ts';
import type { PreferenceSpec } from './instancetype-schema.ts';

/** The preferred CPU topology; KubeVirt's default is sockets. */
export function preferredTopology(preference: PreferenceSpec | undefined): string {
  return preference?.cpu?.preferredCPUTopology ?? 'sockets';
}

/** Spread ratio (default 2) and what to spread across (default SocketsCores). */
export function spreadOptions(preference: PreferenceSpec | undefined): { ratio: number; across: string } {
  let ratio = preference?.preferSpreadSocketToCoreRatio || 2;
  const options = preference?.cpu?.spreadOptions;
  if (options?.ratio !== undefined) ratio = options.ratio;
  return { ratio, across: options?.across ?? 'SocketsCores' };
}

const unset = (v: unknown): boolean => v === undefined || v === null || v === '';

function applyDisks(d: NonNullable<PreferenceSpec['devices']>, devices: Obj): void {
  for (const disk of listAt(devices, 'disks')) {
    if (!isObj(disk.disk) && !isObj(disk.cdrom) && !isObj(disk.lun)) disk.disk = {};
    const target = objAt(disk, 'disk');
    if (target) {
      if (d.preferredDiskBus && unset(target.bus)) target.bus = d.preferredDiskBus;
      if (d.preferredDiskBlockSize && unset(disk.blockSize)) disk.blockSize = clone(d.preferredDiskBlockSize);
      if (d.preferredDiskCache && unset(disk.cache)) disk.cache = d.preferredDiskCache;
      if (d.preferredDiskIO && unset(disk.io)) disk.io = d.preferredDiskIO;
      if (d.preferredDiskDedicatedIoThread !== undefined && unset(disk.dedicatedIOThread) && target.bus === 'virtio') disk.dedicatedIOThread = d.preferredDiskDedicatedIoThread;
    } else if (isObj(disk.cdrom)) {
      if (d.preferredCdromBus && unset(disk.cdrom.bus)) disk.cdrom.bus = d.preferredCdromBus;
    } else if (isObj(disk.lun)) {
      if (d.preferredLunBus && unset(disk.lun.bus)) disk.lun.bus = d.preferredLunBus;
    }
  }
}

const BINDINGS = ['bridge', 'masquerade', 'sriov', 'passtBinding', 'slirp', 'macvtap', 'binding'];

function applyInterfaces(d: NonNullable<PreferenceSpec['devices']>, devices: Obj, spec: Obj): void {
  const podNetworks = new Set(listAt(spec, 'networks').filter((n) => isObj(n.pod)).map((n) => n.name));
  for (const iface of listAt(devices, 'interfaces')) {
    if (d.preferredInterfaceModel && unset(iface.model)) iface.model = d.preferredInterfaceModel;
    if (d.preferredInterfaceMasquerade && BINDINGS.every((b) => iface[b] === undefined) && podNetworks.has(iface.name)) iface.masquerade = clone(d.preferredInterfaceMasquerade);
  }
}

function applyDevices(preference: PreferenceSpec, domain: Obj, spec: Obj, leftOut: string[]): void {
  const d = preference.devices;
  if (!d) return;
  const devices = ensureObj(domain, 'devices');
  if (d.preferredBlockMultiQueue !== undefined && unset(devices.blockMultiQueue)) devices.blockMultiQueue = d.preferredBlockMultiQueue;
  if (d.preferredNetworkInterfaceMultiQueue !== undefined && unset(devices.networkInterfaceMultiqueue)) devices.networkInterfaceMultiqueue = d.preferredNetworkInterfaceMultiQueue;
  if (d.preferredRng !== undefined && unset(devices.rng)) devices.rng = clone(d.preferredRng);
  if (d.preferredTPM !== undefined && unset(devices.tpm)) devices.tpm = clone(d.preferredTPM);
  const autoattach = [
    ['preferredAutoattachGraphicsDevice', 'autoattachGraphicsDevice'],
    ['preferredAutoattachMemBalloon', 'autoattachMemBalloon'],
    ['preferredAutoattachPodInterface', 'autoattachPodInterface'],
    ['preferredAutoattachSerialConsole', 'autoattachSerialConsole'],
    ['preferredAutoattachInputDevice', 'autoattachInputDevice'],
  ] as const;
  for (const [from, to] of autoattach) if (d[from] !== undefined && unset(devices[to])) devices[to] = d[from];
  applyDisks(d, devices);
  applyInterfaces(d, devices, spec);
  for (const input of listAt(devices, 'inputs')) {
    if (d.preferredInputBus && unset(input.bus)) input.bus = d.preferredInputBus;
    if (d.preferredInputType && unset(input.type)) input.type = d.preferredInputType;
  }
  const unmodelled = ['preferredVideoType', 'preferredSoundModel', 'preferredPanicDeviceModel', 'preferredUseVirtioTransitional', 'preferredDisableHotplug', 'preferredVirtualGPUOptions'] as const;
  for (const key of unmodelled) if (d[key] !== undefined) leftOut.push(`spec.devices.${key} (pxevirt does not model this device setting)`);
}

function applyFirmware(preference: PreferenceSpec, domain: Obj): void {
  const f = preference.firmware;
  if (!f) return;
  const bootloader = ensureObj(ensureObj(domain, 'firmware'), 'bootloader');
  if (f.preferredUseBios === true && unset(bootloader.bios) && unset(bootloader.efi)) bootloader.bios = {};
  const bios = objAt(bootloader, 'bios');
  if (f.preferredUseBiosSerial !== undefined && bios && unset(bios.useSerial)) bios.useSerial = f.preferredUseBiosSerial;
  if (unset(bootloader.efi) && unset(bootloader.bios) && f.preferredEfi) {
    bootloader.efi = clone(f.preferredEfi);
    return;
  }
  if (f.preferredUseEfi === true && unset(bootloader.efi) && unset(bootloader.bios)) bootloader.efi = {};
  const efi = objAt(bootloader, 'efi');
  if (f.preferredUseSecureBoot !== undefined && efi && unset(efi.secureBoot)) efi.secureBoot = f.preferredUseSecureBoot;
}

function applyFeatures(preference: PreferenceSpec, domain: Obj): void {
  const f = preference.features;
  if (!f) return;
  const features = ensureObj(domain, 'features');
  if (f.preferredAcpi !== undefined) features.acpi = clone(f.preferredAcpi);
  const pairs = [['preferredApic', 'apic'], ['preferredKvm', 'kvm'], ['preferredPvspinlock', 'pvspinlock'], ['preferredSmm', 'smm']] as const;
  for (const [from, to] of pairs) if (f[from] !== undefined && unset(features[to])) features[to] = clone(f[from]);
  if (f.preferredHyperv) {
    const hyperv = ensureObj(features, 'hyperv');
    for (const [key, value] of Object.entries(f.preferredHyperv)) if (unset(hyperv[key])) hyperv[key] = clone(value);
  }
}

/** Applies the preference to `spec` (a VMI spec) and `annotations` in place; returns what it left out. */
export function applyPreference(preference: PreferenceSpec, spec: Obj, annotations: Record<string, string>): string[] {
  const leftOut: string[] = [];
  const domain = ensureObj(spec, 'domain');
  const features = preference.cpu?.preferredCPUFeatures ?? [];
  if (features.length > 0) {
    const cpu = ensureObj(domain, 'cpu');
    const list = Array.isArray(cpu.features) ? (cpu.features as Obj[]) : [];
    const names = new Set(list.map((f) => f.name));
    for (const feature of features) if (!names.has(feature.name)) list.push(clone(feature));
    cpu.features = list;
  }
  applyDevices(preference, domain, spec, leftOut);
  applyFeatures(preference, domain);
  applyFirmware(preference, domain);
  const machineType = preference.machine?.preferredMachineType;
  if (machineType && unset(objAt(domain, 'machine')?.type)) ensureObj(domain, 'machine').type = machineType;
  const clock = preference.clock;
  if (clock) {
    const target = ensureObj(domain, 'clock');
    if (clock.preferredClockOffset && unset(target.utc) && unset(target.timezone)) Object.assign(target, clone(clock.preferredClockOffset));
    if (clock.preferredTimer && unset(target.timer)) target.timer = clone(clock.preferredTimer);
  }
  if (unset(spec.subdomain) && preference.preferredSubdomain !== undefined) spec.subdomain = preference.preferredSubdomain;
  if (preference.preferredTerminationGracePeriodSeconds !== undefined && unset(spec.terminationGracePeriodSeconds)) spec.terminationGracePeriodSeconds = preference.preferredTerminationGracePeriodSeconds;
  if (preference.preferredArchitecture && unset(spec.architecture)) spec.architecture = preference.preferredArchitecture;
  for (const [key, value] of Object.entries(preference.annotations ?? {})) annotations[key] ??= value;
  if (preference.preferredLaunchSecurity !== undefined) leftOut.push('spec.preferredLaunchSecurity (pxevirt starts no confidential guests)');
  return leftOut;
}
