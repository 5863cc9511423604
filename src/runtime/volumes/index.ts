// A VMI's volumes made into files QEMU opens: containerDisk → qcow2 overlay over the
// cached disk, cloudInitNoCloud → `cidata` ISO, emptyDisk → empty qcow2, all in the VMI's
// run dir. Anything else is refused with the volume's name and type.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PullProgress, VmiObject } from '../types.ts';
import { buildCloudInitIso, noCloudFiles, type CloudInitNoCloudSource } from './cloud-init.ts';
import { DiskCache } from './disk-cache.ts';
import { createEmptyDisk } from './empty-disk.ts';
import type { RegistryMirrors } from './image-ref.ts';
import { createOverlay } from './overlay.ts';
import { isObject as isObj } from '../../lib/is-object.ts';

export { DiskCache, ContainerDiskLayoutError, ContainerDiskPathError, ImageNotCachedError, UnsupportedLayerError } from './disk-cache.ts';
export { RegistryError, DigestMismatchError, ManifestError } from './registry-client.ts';
export { InvalidImageRefError, InvalidMirrorError, InvalidMirrorSpecError, parseImageRef, parseRegistryMirror, resolvePullSource, type RegistryMirrors } from './image-ref.ts';
export { CloudInitSourceError, CIDATA_LABEL } from './cloud-init.ts';
export { InvalidCapacityError } from './empty-disk.ts';
export { UnsupportedDiskImageError } from './overlay.ts';
export { VolumeToolError } from './run-tool.ts';

/** A volume ready for QEMU. */
export interface PreparedVolume {
  /** The volume's name (= the disk's name in spec.domain.devices.disks). */
  name: string;
  path: string;
  format: 'qcow2' | 'raw';
  /** The guest must not write it (the cloud-init ISO). */
  readonly?: boolean;
  /**
   * An ISO 9660 image (the cloud-init volume) that suits a CD-ROM; the device type still
   * follows the VMI's disk (disk, cdrom, lun) when the spec names one.
   */
  cdrom?: boolean;
}

export interface PrepareVolumesOptions {
  /** The VMI's run dir: overlays, the ISO and empty disks go here. */
  runDir: string;
  /** The node's image cache dir (ignored when `cache` is given). */
  cacheDir: string;
  /** The cache to use; share one per node so concurrent pulls of a digest download once. */
  cache?: DiskCache;
  mirrors?: RegistryMirrors;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
}

/** Raised for a volume type the runtime cannot prepare. */
export class UnsupportedVolumeError extends Error {
  constructor(
    readonly volume: string,
    readonly type: string,
  ) {
    super(`volume ${volume}: type ${type} is not supported by the pxevirt runtime; supported types are containerDisk, cloudInitNoCloud, emptyDisk`);
    this.name = 'UnsupportedVolumeError';
  }
}

type Obj = Record<string, unknown>;
const SUPPORTED = ['containerDisk', 'cloudInitNoCloud', 'emptyDisk'] as const;

/** instance-id and local-hostname for cloud-init: the firmware UUID (else the VMI's uid) and spec.hostname (else the name). */
export function cloudInitMeta(vmi: VmiObject): { instanceId: string; hostname: string } {
  const firmware = isObj(vmi.spec.domain) && isObj(vmi.spec.domain.firmware) ? vmi.spec.domain.firmware : {};
  const uuid = typeof firmware.uuid === 'string' && firmware.uuid !== '' ? firmware.uuid : vmi.metadata.uid;
  const hostname = typeof vmi.spec.hostname === 'string' && vmi.spec.hostname !== '' ? vmi.spec.hostname : vmi.metadata.name;
  return { instanceId: uuid, hostname };
}

// Volume names become file names: keep them to what Kubernetes allows (DNS labels) anyway.
const fileBase = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_');

/** Prepares every volume of `vmi` in spec order; see the file comment. */
export async function prepareVolumes(vmi: VmiObject, options: PrepareVolumesOptions): Promise<PreparedVolume[]> {
  const volumes = Array.isArray(vmi.spec.volumes) ? (vmi.spec.volumes as unknown[]).filter(isObj) : [];
  // Refuse before doing anything slow.
  for (const v of volumes) {
    const name = String(v.name);
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type === undefined || !(SUPPORTED as readonly string[]).includes(type)) throw new UnsupportedVolumeError(name, type ?? '(none)');
  }
  await mkdir(options.runDir, { recursive: true });
  const cache = options.cache ?? new DiskCache(options.cacheDir);
  const signal = options.signal ? { signal: options.signal } : {};
  const prepared: PreparedVolume[] = [];
  for (const v of volumes) {
    const name = String(v.name);
    if (isObj(v.containerDisk)) {
      const cd = v.containerDisk;
      const policy = cd.imagePullPolicy === 'Always' || cd.imagePullPolicy === 'Never' || cd.imagePullPolicy === 'IfNotPresent' ? cd.imagePullPolicy : undefined;
      const pulled = await cache.pull(String(cd.image), {
        ...(options.mirrors ? { mirrors: options.mirrors } : {}),
        ...(policy ? { pullPolicy: policy } : {}),
        ...(typeof cd.path === 'string' && cd.path !== '' ? { path: cd.path } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...signal,
      });
      const overlay = await createOverlay(pulled.path, join(options.runDir, `${fileBase(name)}.qcow2`), signal);
      prepared.push({ name, path: overlay.path, format: 'qcow2' });
    } else if (isObj(v.cloudInitNoCloud)) {
      const files = noCloudFiles(name, v.cloudInitNoCloud as CloudInitNoCloudSource, cloudInitMeta(vmi));
      const iso = await buildCloudInitIso(files, join(options.runDir, `${fileBase(name)}.iso`), signal);
      prepared.push({ name, path: iso, format: 'raw', readonly: true, cdrom: true });
    } else if (isObj(v.emptyDisk)) {
      const disk = await createEmptyDisk(name, v.emptyDisk.capacity, join(options.runDir, `${fileBase(name)}.qcow2`), signal);
      prepared.push({ name, path: disk.path, format: 'qcow2' });
    }
  }
  return prepared;
}
