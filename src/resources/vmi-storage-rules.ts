// KubeVirt's disk and volume admission (pkg/storage/admitters, vmi-create-admitter.go): names,
// targets, buses, boot order across disks and interfaces, volume sources and cloud-init sizes.
import { CauseType, join, type Cause } from './causes.ts';
import { cause } from './admission.ts';
import { dns1123LabelErrors } from './names.ts';
import { isObj, listAt, objAt, type Obj } from './object-path.ts';

const SERIAL = /^[A-Za-z0-9_.+-]+$/;
const TARGETS = ['disk', 'cdrom', 'lun'] as const;
/** Volume sources pxevirt implements. */
export const SUPPORTED_VOLUME_SOURCES = ['containerDisk', 'cloudInitNoCloud', 'emptyDisk', 'dataVolume', 'persistentVolumeClaim', 'configMap', 'secret'] as const;
/** Sources KubeVirt knows that pxevirt refuses. */
export const UNSUPPORTED_VOLUME_SOURCES = [
  'cloudInitConfigDrive', 'ephemeral', 'hostDisk', 'sysprep', 'serviceAccount', 'downwardAPI', 'downwardMetrics', 'memoryDump', 'containerPath',
] as const;
export const CLOUD_INIT_MAX_BYTES = 2048;
/** An ISO 9660 volume identifier holds at most 32 characters (a configMap/secret volume's volumeLabel). */
export const VOLUME_LABEL_MAX = 32;

const present = (o: Obj, key: string): boolean => o[key] !== undefined && o[key] !== null;
const targetOf = (disk: Obj): string | undefined => TARGETS.find((t) => present(disk, t));

/** Disk checks (ValidateDisks): unique DNS-1123 names, one target, boot order > 0, bus, serial. */
export function validateDisks(spec: Obj, base: string): Cause[] {
  const causes: Cause[] = [];
  const at = join(base, 'domain.devices.disks');
  const disks = listAt(objAt(objAt(spec, 'domain'), 'devices'), 'disks');
  disks.forEach((disk, i) => {
    const here = join(at, i);
    const other = disks.findIndex((d, j) => j < i && d.name === disk.name);
    if (other >= 0) causes.push(cause(CauseType.Invalid, join(here, 'name'), `${here} and ${join(at, other)} must not have the same Name.`));
    if (TARGETS.filter((t) => present(disk, t)).length > 1) causes.push(cause(CauseType.Invalid, here, `${here} can only have a single target type defined`));
    if (typeof disk.bootOrder === 'number' && disk.bootOrder < 1) causes.push(cause(CauseType.Invalid, join(here, 'bootOrder'), `${here} must have a boot order > 0, if supplied`));
    causes.push(...validateBus(disk, here));
    if (typeof disk.serial === 'string' && disk.serial !== '') {
      if (!SERIAL.test(disk.serial)) causes.push(cause(CauseType.Invalid, join(here, 'serial'), `${here} must be made up of the following characters [A-Za-z0-9_.+-], if specified`));
      if (disk.serial.length > 256) causes.push(cause(CauseType.Invalid, join(here, 'serial'), `${here} must be less than or equal to 256 in length, if specified`));
    }
    for (const m of dns1123LabelErrors(typeof disk.name === 'string' ? disk.name : '')) causes.push(cause(CauseType.Invalid, join(here, 'name'), m));
  });
  return causes;
}

function validateBus(disk: Obj, here: string): Cause[] {
  const target = targetOf(disk);
  if (!target) return [];
  const t = objAt(disk, target);
  const bus = t?.bus;
  if (bus === undefined || bus === '') return [];
  const field = join(join(here, target), 'bus');
  switch (bus) {
    case 'ide':
      return [cause(CauseType.Invalid, field, 'IDE bus is not supported')];
    case 'virtio':
      return target === 'cdrom' ? [cause(CauseType.Invalid, field, `Bus type ${bus} is invalid for CD-ROM device`)] : [];
    case 'sata':
      return target === 'disk' && t?.readonly === true ? [cause(CauseType.Invalid, field, `${bus} hard-disks do not support read-only.`)] : [];
    case 'scsi':
    case 'usb':
      return [];
    default:
      return [cause(CauseType.Invalid, field, `${here} is set with an unrecognized bus ${String(bus)}, must be one of: [virtio scsi sata usb]`)];
  }
}

/** Boot orders unique across disks then interfaces (validateBootOrder), interface orders > 0, and every disk has a volume. */
export function validateBootOrderAndDiskVolumes(spec: Obj, base: string): Cause[] {
  const causes: Cause[] = [];
  const devices = objAt(objAt(spec, 'domain'), 'devices');
  const volumeNames = new Set(listAt(spec, 'volumes').map((v) => v.name));
  const used = new Set<number>();
  listAt(devices, 'disks').forEach((disk, i) => {
    const here = join(join(base, 'domain.devices.disks'), i);
    if (!volumeNames.has(disk.name)) {
      if (!present(disk, 'cdrom')) causes.push(cause(CauseType.Invalid, join(here, 'name'), `${join(here, 'Name')} '${String(disk.name ?? '')}' not found.`));
      else causes.push(cause(CauseType.Invalid, join(here, 'name'), 'DeclarativeHotplugVolumes feature gate not enabled, cannot define an empty CD-ROM disk'));
    }
    if (typeof disk.bootOrder === 'number') {
      if (used.has(disk.bootOrder)) causes.push(cause(CauseType.Invalid, join(here, 'bootOrder'), `Boot order for ${join(here, 'bootOrder')} already set for a different device.`));
      used.add(disk.bootOrder);
    }
  });
  listAt(devices, 'interfaces').forEach((iface, i) => {
    const here = join(join(base, 'domain.devices.interfaces'), i);
    if (typeof iface.bootOrder !== 'number') return;
    if (iface.bootOrder < 1) causes.push(cause(CauseType.Invalid, join(here, 'bootOrder'), `${here} must have a boot order > 0, if supplied`));
    else {
      if (used.has(iface.bootOrder)) causes.push(cause(CauseType.Invalid, join(here, 'bootOrder'), `Boot order for ${join(here, 'bootOrder')} already set for a different device.`));
      used.add(iface.bootOrder);
    }
  });
  return causes;
}

/** Every volume is used by a disk (validateVirtualMachineInstanceSpecVolumeDisks; VMIs only). */
export function validateVolumesHaveDisks(spec: Obj, base: string): Cause[] {
  const diskNames = new Set(listAt(objAt(objAt(spec, 'domain'), 'devices'), 'disks').map((d) => d.name));
  return listAt(spec, 'volumes').flatMap((v, i) => {
    if (present(v, 'memoryDump') || diskNames.has(v.name)) return [];
    const field = join(join(join(base, 'volumes'), i), 'name');
    return [cause(CauseType.Invalid, field, `${field} '${String(v.name ?? '')}' not found.`)];
  });
}

/** Volume checks (validateVolumes): unique names, exactly one source, supported sources, cloud-init data. */
export function validateVolumes(spec: Obj, base: string): Cause[] {
  const causes: Cause[] = [];
  const at = join(base, 'volumes');
  const firstIndex = new Map<unknown, number>();
  listAt(spec, 'volumes').forEach((volume, i) => {
    const here = join(at, i);
    const other = firstIndex.get(volume.name);
    if (other === undefined) firstIndex.set(volume.name, i);
    else causes.push(cause(CauseType.Invalid, join(here, 'name'), `${here} and ${join(at, other)} must not have the same Name.`));

    const sources = [...SUPPORTED_VOLUME_SOURCES, ...UNSUPPORTED_VOLUME_SOURCES].filter((s) => present(volume, s));
    if (sources.length !== 1) causes.push(cause(CauseType.Invalid, here, `${here} must have exactly one source type set`));
    for (const s of sources) {
      if ((UNSUPPORTED_VOLUME_SOURCES as readonly string[]).includes(s)) {
        causes.push(cause(CauseType.NotSupported, join(here, s), `${join(here, s)}: volume type ${s} is not supported by pxevirt; supported types are ${SUPPORTED_VOLUME_SOURCES.join(', ')}`));
      }
    }
    const dv = objAt(volume, 'dataVolume');
    if (dv && (typeof dv.name !== 'string' || dv.name === '')) causes.push(cause(CauseType.Required, join(here, 'name'), "DataVolume 'name' must be set"));
    const cd = objAt(volume, 'containerDisk');
    if (cd && (typeof cd.image !== 'string' || cd.image === '')) causes.push(cause(CauseType.Required, join(here, 'containerDisk.image'), `${join(here, 'containerDisk.image')} is required`));
    const ci = objAt(volume, 'cloudInitNoCloud');
    if (ci) causes.push(...validateCloudInit(ci, join(here, 'cloudInitNoCloud')));
    causes.push(...validateConfigVolume(volume, here));
  });
  return causes;
}

/**
 * configMap / secret volumes (pxevirt's rules: KubeVirt leaves these to the kubelet, which
 * refuses the pod): the object must be named, and the label must fit an ISO 9660 volume id.
 */
function validateConfigVolume(volume: Obj, here: string): Cause[] {
  const causes: Cause[] = [];
  for (const [source, nameField] of [['configMap', 'name'], ['secret', 'secretName']] as const) {
    const o = objAt(volume, source);
    if (!o) continue;
    const at = join(here, source);
    if (typeof o[nameField] !== 'string' || o[nameField] === '') causes.push(cause(CauseType.Required, join(at, nameField), `${join(at, nameField)}: Required value: expected the name of a ${source === 'configMap' ? 'ConfigMap' : 'Secret'}, found ${JSON.stringify(o[nameField] ?? null)}`));
    const label = o.volumeLabel;
    if (typeof label === 'string' && (label.length > VOLUME_LABEL_MAX || !/^[\x20-\x7e]*$/.test(label))) {
      causes.push(cause(CauseType.Invalid, join(at, 'volumeLabel'), `${join(at, 'volumeLabel')}: Invalid value: expected at most ${VOLUME_LABEL_MAX} printable ASCII characters (an ISO 9660 volume id), found ${JSON.stringify(label)}`));
    }
  }
  return causes;
}

function validateCloudInit(ci: Obj, at: string): Cause[] {
  const causes: Cause[] = [];
  const check = (kind: 'user' | 'network'): void => {
    const [text, b64, ref] = kind === 'user' ? ['userData', 'userDataBase64', 'secretRef'] : ['networkData', 'networkDataBase64', 'networkDataSecretRef'];
    let sources = 0;
    let length = 0;
    const refObj = ci[ref];
    if (isObj(refObj) && typeof refObj.name === 'string' && refObj.name !== '') sources++;
    const encoded = ci[b64];
    if (typeof encoded === 'string' && encoded !== '') {
      sources++;
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
        causes.push(cause(CauseType.Invalid, join(at, b64), `${join(at, b64)} is not a valid base64 value.`));
      }
      length = Buffer.from(encoded, 'base64').length;
    }
    const plain = ci[text];
    if (typeof plain === 'string' && plain !== '') {
      sources++;
      length = Buffer.byteLength(plain, 'utf8');
    }
    if (sources > 1) causes.push(cause(CauseType.Invalid, at, `${at} must have only one ${kind === 'user' ? 'userdatasource' : 'networkdata source'} set.`));
    if (length > CLOUD_INIT_MAX_BYTES) {
      const hint = kind === 'user' ? 'UserDataSecretRef' : 'NetworkDataSecretRef';
      causes.push(cause(CauseType.Invalid, at, `${at} ${kind === 'user' ? 'userdata' : 'networkdata'} exceeds ${CLOUD_INIT_MAX_BYTES} byte limit. Should use ${hint} for larger data.`));
    }
    counts[kind] = sources;
  };
  const counts = { user: 0, network: 0 };
  check('user');
  check('network');
  if (counts.user === 0 && counts.network === 0) causes.push(cause(CauseType.Invalid, at, `${at} must have at least one userdatasource or one networkdatasource set.`));
  return causes;
}
