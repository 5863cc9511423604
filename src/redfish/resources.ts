// The Redfish resources pxevirt serves, as pure builders from a typed view of a VM: each with
// the @odata.id, @odata.type and @odata.context the specification requires, and its links.
import type { BootOverride, OverrideMode, OverrideTarget } from '../resources/boot-override.ts';
import type { FirmwareView } from './firmware.ts';
import { RESET_TYPES, type PowerState } from './power.ts';
import type { MediaState } from './virtual-media.ts';

export const ROOT = '/redfish/v1';
export const REDFISH_VERSION = '1.15.0';

/** What the builders need to know of one VM. */
export interface SystemView {
  uid: string;
  name: string;
  namespace: string;
  power: PowerState;
  override: BootOverride;
  /** The VM's firmware: the only override mode it can boot in. */
  mode: OverrideMode;
  /** The firmware of the running VMI, else of the VM's template (firmware.ts). */
  firmware: FirmwareView;
  /** Override targets this VM has devices for. */
  targets: readonly OverrideTarget[];
  cpus: number;
  memoryGiB: number;
  /** The SMBIOS UUID (firmware.uuid), else the VM's uid. */
  uuid: string;
  nics: ReadonlyArray<{ name: string; mac?: string }>;
}

type Json = Record<string, unknown>;
const link = (id: string): Json => ({ '@odata.id': id });

/** @odata.type and @odata.context of a resource of a schema (versioned type, unversioned context). */
function odata(id: string, type: string, version: string | undefined): Json {
  const [schema] = type.split('.');
  return {
    '@odata.id': id,
    '@odata.type': version ? `#${schema}.${version}.${type.split('.')[1]}` : `#${type}`,
    '@odata.context': `${ROOT}/$metadata#${type}`,
  };
}

/** Where a virtual media collection hangs. */
export type MediaParent = 'Managers' | 'Systems';

export const paths = {
  systems: `${ROOT}/Systems`,
  system: (uid: string) => `${ROOT}/Systems/${uid}`,
  ethernetInterfaces: (uid: string) => `${ROOT}/Systems/${uid}/EthernetInterfaces`,
  ethernetInterface: (uid: string, nic: string) => `${ROOT}/Systems/${uid}/EthernetInterfaces/${encodeURIComponent(nic)}`,
  reset: (uid: string) => `${ROOT}/Systems/${uid}/Actions/ComputerSystem.Reset`,
  managers: `${ROOT}/Managers`,
  manager: (uid: string) => `${ROOT}/Managers/${uid}`,
  bios: (uid: string) => `${ROOT}/Systems/${uid}/Bios`,
  secureBoot: (uid: string) => `${ROOT}/Systems/${uid}/SecureBoot`,
  /** The virtual CD is served under the Manager and, the same CD, under the System (where newer sushy and Metal3 look). */
  virtualMediaCollection: (uid: string, under: MediaParent = 'Managers') => `${ROOT}/${under}/${uid}/VirtualMedia`,
  virtualMedia: (uid: string, under: MediaParent = 'Managers') => `${ROOT}/${under}/${uid}/VirtualMedia/Cd`,
  insertMedia: (uid: string, under: MediaParent = 'Managers') => `${ROOT}/${under}/${uid}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`,
  ejectMedia: (uid: string, under: MediaParent = 'Managers') => `${ROOT}/${under}/${uid}/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia`,
  chassisCollection: `${ROOT}/Chassis`,
  chassis: (uid: string) => `${ROOT}/Chassis/${uid}`,
  sessionService: `${ROOT}/SessionService`,
  sessions: `${ROOT}/SessionService/Sessions`,
  session: (id: string) => `${ROOT}/SessionService/Sessions/${id}`,
};

/** The service root (anonymous). */
export function serviceRoot(uuid: string): Json {
  return {
    ...odata(`${ROOT}/`, 'ServiceRoot.ServiceRoot', 'v1_15_0'),
    Id: 'RootService',
    Name: 'pxevirt Redfish service',
    RedfishVersion: REDFISH_VERSION,
    UUID: uuid,
    Product: 'pxevirt',
    Vendor: 'pxevirt',
    Systems: link(paths.systems),
    Managers: link(paths.managers),
    Chassis: link(paths.chassisCollection),
    SessionService: link(paths.sessionService),
    Tasks: link(`${ROOT}/TaskService`),
    Links: { Sessions: link(paths.sessions) },
    ProtocolFeaturesSupported: { ExpandQuery: { ExpandAll: false }, FilterQuery: false, SelectQuery: false, OnlyMemberQuery: false },
  };
}

/** A collection of members. */
export function collection(id: string, schema: string, name: string, members: readonly string[]): Json {
  return { ...odata(id, `${schema}.${schema}`, undefined), Name: name, 'Members@odata.count': members.length, Members: members.map(link) };
}

const status = (power: PowerState): Json => ({ State: power === 'Off' ? 'Disabled' : power === 'On' ? 'Enabled' : 'Starting', Health: 'OK' });

/** The ComputerSystem of a VM. */
export function computerSystem(v: SystemView): Json {
  return {
    ...odata(paths.system(v.uid), 'ComputerSystem.ComputerSystem', 'v1_20_0'),
    Id: v.uid,
    Name: v.name,
    Description: `VirtualMachine ${v.namespace}/${v.name}`,
    SystemType: 'Virtual',
    Manufacturer: 'pxevirt',
    Model: 'KubeVirt VirtualMachine',
    UUID: v.uuid,
    HostName: v.name,
    PowerState: v.power,
    Status: status(v.power),
    Boot: {
      BootSourceOverrideTarget: v.override.target,
      'BootSourceOverrideTarget@Redfish.AllowableValues': [...v.targets],
      BootSourceOverrideEnabled: v.override.enabled,
      'BootSourceOverrideEnabled@Redfish.AllowableValues': ['Disabled', 'Once', 'Continuous'],
      BootSourceOverrideMode: v.override.enabled === 'Disabled' ? v.mode : v.override.mode,
      'BootSourceOverrideMode@Redfish.AllowableValues': [v.mode],
    },
    ProcessorSummary: { Count: v.cpus, Status: { State: 'Enabled', Health: 'OK' } },
    MemorySummary: { TotalSystemMemoryGiB: v.memoryGiB, Status: { State: 'Enabled', Health: 'OK' } },
    EthernetInterfaces: link(paths.ethernetInterfaces(v.uid)),
    Bios: link(paths.bios(v.uid)),
    SecureBoot: link(paths.secureBoot(v.uid)),
    VirtualMedia: link(paths.virtualMediaCollection(v.uid, 'Systems')),
    Links: { Chassis: [link(paths.chassis(v.uid))], ManagedBy: [link(paths.manager(v.uid))] },
    Actions: {
      '#ComputerSystem.Reset': { target: paths.reset(v.uid), 'ResetType@Redfish.AllowableValues': [...RESET_TYPES] },
    },
  };
}

/** The EthernetInterfaces of a system: one per VM interface. */
export function ethernetInterfaces(v: SystemView): Json {
  return collection(paths.ethernetInterfaces(v.uid), 'EthernetInterfaceCollection', `Ethernet interfaces of ${v.name}`, v.nics.map((n) => paths.ethernetInterface(v.uid, n.name)));
}

/** One interface, with the MAC Ironic enrolls its port from. */
export function ethernetInterface(v: SystemView, nic: { name: string; mac?: string }): Json {
  return {
    ...odata(paths.ethernetInterface(v.uid, nic.name), 'EthernetInterface.EthernetInterface', 'v1_10_0'),
    Id: nic.name,
    Name: `${v.name} interface ${nic.name}`,
    ...(nic.mac ? { MACAddress: nic.mac, PermanentMACAddress: nic.mac } : {}),
    InterfaceEnabled: true,
    LinkStatus: v.power === 'On' ? 'LinkUp' : 'LinkDown',
    Status: status(v.power),
    Links: { Chassis: link(paths.chassis(v.uid)) },
  };
}

/** The BMC of a system. */
export function manager(v: SystemView, version: string): Json {
  return {
    ...odata(paths.manager(v.uid), 'Manager.Manager', 'v1_17_0'),
    Id: v.uid,
    Name: `BMC of ${v.namespace}/${v.name}`,
    ManagerType: 'BMC',
    Model: 'pxevirt',
    FirmwareVersion: version,
    PowerState: 'On',
    Status: { State: 'Enabled', Health: 'OK' },
    VirtualMedia: link(paths.virtualMediaCollection(v.uid)),
    Links: { ManagerForServers: [link(paths.system(v.uid))], ManagerForChassis: [link(paths.chassis(v.uid))] },
  };
}

/** The virtual media of a system's BMC: one CD. */
export function virtualMediaCollection(v: SystemView, under: MediaParent = 'Managers'): Json {
  return collection(paths.virtualMediaCollection(v.uid, under), 'VirtualMediaCollection', `Virtual media of ${v.name}`, [paths.virtualMedia(v.uid, under)]);
}

/**
 * The virtual CD: what is inserted (the image's URL) and the actions that change it. Status.State
 * says where the medium is: Enabled, in the running guest's drive; StandbyOffline, inserted and
 * reaching the guest at its next power-on; Disabled, nothing inserted.
 */
export function virtualMedia(v: SystemView, media: MediaState, under: MediaParent = 'Managers'): Json {
  const image = media.image;
  const name = image === undefined ? undefined : decodeURIComponent(new URL(image).pathname.split('/').pop() ?? '');
  return {
    ...odata(paths.virtualMedia(v.uid, under), 'VirtualMedia.VirtualMedia', 'v1_6_0'),
    Id: 'Cd',
    Name: `Virtual CD of ${v.name}`,
    MediaTypes: ['CD', 'DVD'],
    Image: image ?? null,
    ImageName: name ?? null,
    Inserted: image !== undefined,
    ConnectedVia: image === undefined ? 'NotConnected' : 'URI',
    WriteProtected: true,
    TransferMethod: 'Upload',
    ...(image === undefined ? {} : { TransferProtocolType: image.startsWith('https:') ? 'HTTPS' : 'HTTP' }),
    Status: { State: image === undefined ? 'Disabled' : media.inGuest ? 'Enabled' : 'StandbyOffline', Health: 'OK' },
    Actions: {
      '#VirtualMedia.InsertMedia': { target: paths.insertMedia(v.uid, under), 'TransferProtocolType@Redfish.AllowableValues': ['HTTP', 'HTTPS'] },
      '#VirtualMedia.EjectMedia': { target: paths.ejectMedia(v.uid, under) },
    },
  };
}

/** The chassis of a system. */
export function chassis(v: SystemView): Json {
  return {
    ...odata(paths.chassis(v.uid), 'Chassis.Chassis', 'v1_23_0'),
    Id: v.uid,
    Name: `Chassis of ${v.namespace}/${v.name}`,
    ChassisType: 'Other',
    Manufacturer: 'pxevirt',
    Model: 'KubeVirt VirtualMachine',
    PowerState: v.power,
    Status: status(v.power),
    Links: { ComputerSystems: [link(paths.system(v.uid))], ManagedBy: [link(paths.manager(v.uid))] },
  };
}

/** The SessionService. */
export function sessionService(timeoutSeconds: number): Json {
  return {
    ...odata(paths.sessionService, 'SessionService.SessionService', 'v1_1_8'),
    Id: 'SessionService',
    Name: 'Session Service',
    ServiceEnabled: true,
    SessionTimeout: timeoutSeconds,
    Status: { State: 'Enabled', Health: 'OK' },
    Sessions: link(paths.sessions),
  };
}

/** One session (never its token). */
export function session(s: { id: string; user: string; createdAt: number }): Json {
  return {
    ...odata(paths.session(s.id), 'Session.Session', 'v1_7_0'),
    Id: s.id,
    Name: `Session of ${s.user}`,
    UserName: s.user,
    CreatedTime: new Date(s.createdAt).toISOString(),
  };
}

/** GET /redfish: the versions served. */
export const versions = (): Json => ({ v1: `${ROOT}/` });

/** The OData service document (/redfish/v1/odata). */
export function odataService(): Json {
  const set = (name: string, url: string) => ({ name, kind: 'Singleton', url });
  return {
    '@odata.context': `${ROOT}/$metadata`,
    value: [set('Service', `${ROOT}/`), set('Systems', paths.systems), set('Managers', paths.managers), set('Chassis', paths.chassisCollection), set('SessionService', paths.sessionService), set('TaskService', `${ROOT}/TaskService`)],
  };
}

/** The CSDL $metadata document: references to DMTF's schemas for every type served. */
export function metadataXml(): string {
  const types = ['ServiceRoot.v1_15_0', 'ComputerSystemCollection', 'ComputerSystem.v1_20_0', 'EthernetInterfaceCollection', 'EthernetInterface.v1_10_0', 'ManagerCollection', 'Manager.v1_17_0', 'VirtualMediaCollection', 'VirtualMedia.v1_6_0', 'Bios.v1_2_0', 'SecureBoot.v1_1_0', 'ChassisCollection', 'Chassis.v1_23_0', 'SessionService.v1_1_8', 'SessionCollection', 'Session.v1_7_0', 'TaskService.v1_2_0', 'TaskCollection', 'Task.v1_7_0', 'Message.v1_1_1'];
  const refs = types.map((t) => {
    const ns = t.split('.')[0];
    return `  <edmx:Reference Uri="http://redfish.dmtf.org/schemas/v1/${ns}_v1.xml">\n    <edmx:Include Namespace="${ns}"/>${t.includes('.v') ? `\n    <edmx:Include Namespace="${t}"/>` : ''}\n  </edmx:Reference>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">\n${refs.join('\n')}\n  <edmx:DataServices>\n    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Service">\n      <EntityContainer Name="Service" Extends="ServiceRoot.v1_15_0.ServiceContainer"/>\n    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n`;
}
