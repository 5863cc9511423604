// Schemas of instancetype.kubevirt.io/v1beta1: the instancetype spec (CPU, memory and what goes
// with them) and the preference spec (preferred devices, firmware, machine, clock, features), with
// KubeVirt's field names (staging/src/kubevirt.io/api/instancetype/v1beta1/types.go). Nested
// KubeVirt types pxevirt does not model (NUMA, realtime, GPUs, launch security, timers) are kept opaque.
import { objectSchema } from './meta-schema.ts';
import { array, boolean, integer, map, object, opaque, quantity, string, type Static } from './schema-builders.ts';

export const PREFERRED_CPU_TOPOLOGIES = ['sockets', 'cores', 'threads', 'spread', 'any', 'preferSockets', 'preferCores', 'preferThreads', 'preferSpread', 'preferAny'] as const;
export const SPREAD_ACROSS = ['SocketsCores', 'CoresThreads', 'SocketsCoresThreads'] as const;

const cpuInstancetype = object(
  {
    guest: integer('Required number of vCPUs to expose to the guest.', 'int64'),
    model: string(),
    dedicatedCPUPlacement: boolean(),
    isolateEmulatorThread: boolean(),
    maxSockets: integer(undefined, 'int64'),
    numa: opaque(),
    realtime: opaque(),
  },
  ['guest'],
);

const memoryInstancetype = object(
  {
    guest: quantity('Required amount of memory visible inside the guest OS.'),
    hugepages: object({ pageSize: string() }),
    maxGuest: quantity(),
    overcommitPercent: integer('Percentage of guest memory not requested from the node.'),
  },
  ['guest'],
);

export const instancetypeSpecSchema = object(
  {
    cpu: cpuInstancetype,
    memory: memoryInstancetype,
    gpus: array(opaque(), 'GPUs; pxevirt passes none through and leaves them out of the VMI.'),
    hostDevices: array(opaque(), 'Host devices; pxevirt passes none through and leaves them out of the VMI.'),
    ioThreadsPolicy: string('shared, auto or supplementalPool.'),
    ioThreads: object({ supplementalPoolThreadCount: integer() }),
    launchSecurity: opaque(),
    nodeSelector: map(string()),
    schedulerName: string(),
    annotations: map(string()),
  },
  ['cpu', 'memory'],
);

const devicePreferences = object({
  preferredAutoattachGraphicsDevice: boolean(),
  preferredAutoattachMemBalloon: boolean(),
  preferredAutoattachPodInterface: boolean(),
  preferredAutoattachSerialConsole: boolean(),
  preferredAutoattachInputDevice: boolean(),
  preferredDisableHotplug: boolean(),
  preferredVirtualGPUOptions: opaque(),
  preferredSoundModel: string(),
  preferredUseVirtioTransitional: boolean(),
  preferredInputBus: string(),
  preferredInputType: string(),
  preferredDiskBus: string(),
  preferredLunBus: string(),
  preferredCdromBus: string(),
  preferredDiskDedicatedIoThread: boolean(),
  preferredDiskCache: string(),
  preferredDiskIO: string(),
  preferredDiskBlockSize: opaque(),
  preferredInterfaceModel: string(),
  preferredRng: opaque(),
  preferredBlockMultiQueue: boolean(),
  preferredNetworkInterfaceMultiQueue: boolean(),
  preferredTPM: opaque(),
  preferredInterfaceMasquerade: opaque(),
  preferredPanicDeviceModel: string(),
  preferredVideoType: string(),
});

const featureState = opaque();

export const preferenceSpecSchema = object({
  clock: object({ preferredClockOffset: opaque(), preferredTimer: opaque() }),
  cpu: object({
    preferredCPUTopology: string('sockets (default), cores, threads, spread or any.'),
    spreadOptions: object({ across: string('SocketsCores (default), CoresThreads or SocketsCoresThreads.'), ratio: integer() }),
    preferredCPUFeatures: array(object({ name: string(), policy: string() }, ['name'])),
  }),
  devices: devicePreferences,
  features: object({
    preferredAcpi: featureState,
    preferredApic: opaque(),
    preferredHyperv: opaque(),
    preferredKvm: opaque(),
    preferredPvspinlock: featureState,
    preferredSmm: featureState,
  }),
  firmware: object({
    preferredUseBios: boolean(),
    preferredUseBiosSerial: boolean(),
    preferredUseEfi: boolean(),
    preferredUseSecureBoot: boolean(),
    preferredEfi: object({ secureBoot: boolean(), persistent: boolean() }),
  }),
  machine: object({ preferredMachineType: string() }),
  volumes: object({ preferredStorageClassName: string() }),
  preferredSubdomain: string(),
  preferredTerminationGracePeriodSeconds: integer(undefined, 'int64'),
  requirements: object({
    cpu: object({ guest: integer(undefined, 'int64') }, ['guest']),
    memory: object({ guest: quantity() }, ['guest']),
    architecture: string(),
  }),
  annotations: map(string()),
  preferSpreadSocketToCoreRatio: integer(),
  preferredArchitecture: string(),
  preferredLaunchSecurity: opaque(),
});

export const instancetypeSchema = objectSchema({ spec: instancetypeSpecSchema }, ['spec'], 'A VirtualMachine(Cluster)Instancetype: the resources a VM gets.');
export const preferenceSchema = objectSchema({ spec: preferenceSpecSchema }, ['spec'], 'A VirtualMachine(Cluster)Preference: the devices and settings a VM prefers.');

export type InstancetypeSpec = Static<typeof instancetypeSpecSchema>;
export type PreferenceSpec = Static<typeof preferenceSpecSchema>;
