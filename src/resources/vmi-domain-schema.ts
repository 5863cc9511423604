// Schema of a VMI's `spec.domain`: the subset of KubeVirt's DomainSpec pxevirt models, with
// KubeVirt's field names (staging/src/kubevirt.io/api/core/v1/schema.go).
import { array, boolean, integer, map, marker, object, opaque, quantity, string, type Static } from './schema-builders.ts';

export const DISK_BUSES = ['virtio', 'sata', 'scsi', 'usb'] as const;
export const NIC_MODELS = ['e1000', 'e1000e', 'igb', 'ne2k_pci', 'pcnet', 'rtl8139', 'virtio'] as const;

const cpu = object({
  cores: integer('Cores per socket.', 'int64'),
  sockets: integer('Sockets.', 'int64'),
  threads: integer('Threads per core.', 'int64'),
  maxSockets: integer(undefined, 'int64'),
  model: string('CPU model: host-passthrough, host-model or a named model.'),
  features: array(object({ name: string(), policy: string() }, ['name'])),
  dedicatedCpuPlacement: boolean(),
  isolateEmulatorThread: boolean(),
});

const memory = object({
  guest: quantity('Memory the guest sees.'),
  maxGuest: quantity(),
  hugepages: object({ pageSize: string() }),
});

const resources = object({
  requests: map(quantity(), 'Requested resources: memory, cpu.'),
  limits: map(quantity()),
  overcommitGuestOverhead: boolean(),
});

const firmware = object({
  uuid: string('SMBIOS system UUID; defaulted from the name.'),
  serial: string('SMBIOS serial number.'),
  bootloader: object({
    bios: object({ useSerial: boolean() }),
    efi: object({ secureBoot: boolean(), persistent: boolean() }),
  }),
  kernelBoot: opaque(),
  acpi: opaque(),
});

const featureState = object({ enabled: boolean() });
const features = object({
  acpi: featureState,
  apic: object({ enabled: boolean(), endOfInterrupt: boolean() }),
  smm: featureState,
  pvspinlock: featureState,
  kvm: object({ hidden: boolean() }),
  hyperv: opaque(),
  hypervPassthrough: object({ enabled: boolean() }),
});

const diskTarget = object({ bus: string('virtio, sata, scsi or usb.'), readonly: boolean(), pciAddress: string() });
export const diskSchema = object(
  {
    name: string('Matches a volume name.'),
    bootOrder: integer('Boot priority, 1 first; devices without one are not booted from when any has one.'),
    serial: string(),
    disk: diskTarget,
    cdrom: object({ bus: string(), readonly: boolean(), tray: string() }),
    lun: object({ bus: string(), readonly: boolean(), reservation: boolean() }),
    cache: string(),
    io: string(),
    dedicatedIOThread: boolean(),
    shareable: boolean(),
    errorPolicy: string(),
    tag: string(),
  },
  ['name'],
);

const port = object({ name: string(), protocol: string('TCP or UDP.'), port: integer() }, ['port']);
export const interfaceSchema = object(
  {
    name: string('Matches a network name.'),
    model: string('e1000, e1000e, igb, ne2k_pci, pcnet, rtl8139 or virtio (default).'),
    macAddress: string(),
    bootOrder: integer('Boot priority; a NIC without one gets no option ROM and is never PXE-tried.'),
    pciAddress: string(),
    ports: array(port),
    bridge: marker('Bridge binding.'),
    masquerade: marker('Masquerade (NAT) binding; pod network only.'),
    sriov: marker(),
    passtBinding: marker(),
    binding: object({ name: string() }, ['name']),
    dhcpOptions: opaque(),
    state: string(),
    tag: string(),
    acpiIndex: integer(),
  },
  ['name'],
);

const devices = object({
  disks: array(diskSchema),
  interfaces: array(interfaceSchema),
  autoattachPodInterface: boolean(),
  autoattachGraphicsDevice: boolean(),
  autoattachSerialConsole: boolean(),
  autoattachInputDevice: boolean(),
  autoattachMemBalloon: boolean(),
  logSerialConsole: boolean(),
  networkInterfaceMultiqueue: boolean(),
  blockMultiQueue: boolean(),
  rng: marker('A virtio RNG device.'),
  inputs: array(object({ name: string(), type: string(), bus: string() }, ['name', 'type'])),
  watchdog: opaque(),
  tpm: opaque(),
});

/** spec.domain. */
export const domainSchema = object(
  {
    cpu,
    memory,
    resources,
    machine: object({ type: string('Machine type; q35 (default) on amd64.') }),
    firmware,
    features,
    devices,
    clock: opaque(),
    ioThreadsPolicy: string(),
  },
  ['devices'],
);

export type DomainSpec = Static<typeof domainSchema>;
export type VmiDisk = Static<typeof diskSchema>;
export type VmiInterface = Static<typeof interfaceSchema>;
