// Schema of VirtualMachineInstance (spec and status) for OpenAPI and strict field validation.
import { conditionSchema, objectSchema } from './meta-schema.ts';
import { array, atomicList, boolean, dateTime, integer, listMap, map, object, opaque, quantity, string, type Static } from './schema-builders.ts';
import { domainSchema } from './vmi-domain-schema.ts';

export const networkSchema = object(
  {
    name: string('Matches an interface name.'),
    pod: object({ vmNetworkCIDR: string(), vmIPv6NetworkCIDR: string() }),
    multus: object({ networkName: string('NetworkAttachmentDefinition, `name` or `namespace/name`.'), default: boolean() }, ['networkName']),
  },
  ['name'],
);

const secretRef = object({ name: string() });
const cloudInit = object({
  userData: string(),
  userDataBase64: string(),
  secretRef,
  networkData: string(),
  networkDataBase64: string(),
  networkDataSecretRef: secretRef,
});

export const volumeSchema = object(
  {
    name: string(),
    containerDisk: object({ image: string(), imagePullPolicy: string(), imagePullSecret: string(), path: string() }, ['image']),
    cloudInitNoCloud: cloudInit,
    cloudInitConfigDrive: cloudInit,
    emptyDisk: object({ capacity: quantity() }, ['capacity']),
    dataVolume: object({ name: string(), hotpluggable: boolean() }, ['name']),
    persistentVolumeClaim: object({ claimName: string(), readOnly: boolean(), hotpluggable: boolean() }, ['claimName']),
    // A ConfigMap's or Secret's keys as files on an ISO 9660 disk labelled volumeLabel (cfgdata when unset).
    configMap: object({ name: string(), optional: boolean(), volumeLabel: string() }),
    secret: object({ secretName: string(), optional: boolean(), volumeLabel: string() }),
    // Declared so that they parse, then refused by admission with a clear message.
    ephemeral: opaque(),
    hostDisk: opaque(),
    sysprep: opaque(),
    serviceAccount: opaque(),
    downwardAPI: opaque(),
    downwardMetrics: opaque(),
    memoryDump: opaque(),
    containerPath: opaque(),
  },
  ['name'],
);

/** VirtualMachineInstanceSpec (also the VM template's spec). Its type is VmiSpec. */
export const vmiSpecSchema = object(
  {
    domain: domainSchema,
    networks: array(networkSchema),
    volumes: array(volumeSchema),
    architecture: string(),
    terminationGracePeriodSeconds: integer('Grace period on deletion; 30 when unset.', 'int64'),
    nodeSelector: map(string()),
    affinity: opaque(),
    tolerations: array(opaque()),
    // List types as KubeVirt's OpenAPI declares them (server-side apply merges by them).
    topologySpreadConstraints: listMap(opaque(), ['topologyKey', 'whenUnsatisfiable']),
    evictionStrategy: string(),
    startStrategy: string(),
    hostname: string(),
    subdomain: string(),
    schedulerName: string(),
    priorityClassName: string(),
    serviceAccountName: string(),
    dnsPolicy: string(),
    dnsConfig: opaque(),
    readinessProbe: opaque(),
    livenessProbe: opaque(),
    accessCredentials: atomicList(opaque()),
  },
  ['domain'],
);

const interfaceStatus = object({
  name: string('The network name.'),
  mac: string(),
  ipAddress: string(),
  ipAddresses: array(string()),
  interfaceName: string('Name inside the guest.'),
  podInterfaceName: string(),
  infoSource: string(),
  linkState: string(),
  queueCount: integer(),
});

export const vmiStatusSchema = object({
  phase: string('Pending, Scheduling, Scheduled, Running, Succeeded, Failed or Unknown.'),
  phaseTransitionTimestamps: atomicList(object({ phase: string(), phaseTransitionTimestamp: dateTime() })),
  nodeName: string(),
  reason: string(),
  conditions: array(conditionSchema),
  interfaces: array(interfaceStatus),
  guestOSInfo: object({
    id: string(),
    name: string(),
    prettyName: string(),
    version: string(),
    versionId: string(),
    kernelRelease: string(),
    kernelVersion: string(),
    machine: string(),
  }),
  launcherContainerImageVersion: string(),
  migrationMethod: string(),
  migrationTransport: string(),
  qosClass: string(),
  activePods: map(string()),
  machine: object({ type: string() }),
  currentCPUTopology: object({ cores: integer(undefined, 'int64'), sockets: integer(undefined, 'int64'), threads: integer(undefined, 'int64') }),
  memory: object({ guestAtBoot: quantity(), guestCurrent: quantity(), guestRequested: quantity() }),
  volumeStatus: atomicList(opaque()),
});

export const vmiSchema = objectSchema({ spec: vmiSpecSchema, status: vmiStatusSchema }, ['spec'], 'A running virtual machine (KubeVirt VirtualMachineInstance).');

/** A VMI spec as pxevirt models it: the type of what admission accepted (see vmi-spec.ts). */
export type VmiSpec = Static<typeof vmiSpecSchema>;
export type VmiNetwork = Static<typeof networkSchema>;
export type VmiVolume = Static<typeof volumeSchema>;
export type VmiStatus = Static<typeof vmiStatusSchema>;
