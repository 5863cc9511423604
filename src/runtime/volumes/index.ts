// A VMI's volumes made into files QEMU opens: containerDisk → qcow2 overlay over the
// cached disk, cloudInitNoCloud → `cidata` ISO, emptyDisk → empty qcow2, configMap/secret →
// an ISO of the object's keys, all in the VMI's run dir; claims are opened where they are.
// Anything else is refused with the volume's name and type.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { VolumesPlan } from '../../resources/device-plan.ts';
import type { ConfigVolumeFiles, PullProgress } from '../types.ts';
import { buildConfigDisk } from './config-disk.ts';
import { buildCloudInitIso, noCloudFiles } from './cloud-init.ts';
import { DiskCache } from './disk-cache.ts';
import { createEmptyDisk } from './empty-disk.ts';
import type { RegistryMirrors } from './image-ref.ts';
import { createOverlay } from './overlay.ts';
import { openClaim } from './claims.ts';
import { openMedia } from './media.ts';

export { DiskCache, ContainerDiskLayoutError, ContainerDiskPathError, ImageNotCachedError, UnsupportedLayerError } from './disk-cache.ts';
export { RegistryError, DigestMismatchError, ManifestError } from './registry-client.ts';
export { InvalidImageRefError, InvalidMirrorError, InvalidMirrorSpecError, parseImageRef, parseRegistryMirror, resolvePullSource, type RegistryMirrors } from './image-ref.ts';
export { CloudInitSourceError, CIDATA_LABEL } from './cloud-init.ts';
export { ConfigVolumeDataError } from './config-disk.ts';
export { IsoFileNameError } from './iso.ts';
export { InvalidCapacityError } from './empty-disk.ts';
export { UnsupportedDiskImageError } from './overlay.ts';
export { VolumeToolError } from './run-tool.ts';
export { ClaimNotProvisionedError, findClaim, openClaim, provisionClaim, removeClaim, type ClaimDisk, type ClaimRecord } from './claims.ts';
export { fetchMedia, MEDIA_LIMITS, MediaFormatError, removeMedia, sweepMedia } from './media.ts';
export { importFile, importHttp, ImportSourceError, type HttpSource, type ImportOptions } from './importer.ts';

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
  /** A removable drive with no medium (the BMC's virtual CD before anything is inserted): `path` is ''. */
  empty?: boolean;
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
  /** The local storage class's root (`<data-dir>/volumes`): claims are opened there. */
  claimsDir?: string;
  /** The VMI's namespace (its claims are in it). */
  namespace?: string;
  /** The files of each configMap/secret volume, by volume name (StartOptions.configVolumes). */
  configVolumes?: ReadonlyMap<string, ConfigVolumeFiles>;
  /** Where a BMC's virtual CDs are (`<data-dir>/media`): the media volume opens its VM's file there. */
  mediaRoot?: string;
}

/** Raised for a volume type the runtime cannot prepare. */
export class UnsupportedVolumeError extends Error {
  constructor(
    readonly volume: string,
    readonly type: string,
  ) {
    super(`volume ${volume}: type ${type} is not supported by the pxevirt runtime; supported types are containerDisk, cloudInitNoCloud, emptyDisk, persistentVolumeClaim, dataVolume, configMap, secret`);
    this.name = 'UnsupportedVolumeError';
  }
}

// Volume names become file names: keep them to what Kubernetes allows (DNS labels) anyway.
const fileBase = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_');

/** Prepares every planned volume in spec order; see the file comment. */
export async function prepareVolumes(plan: VolumesPlan, options: PrepareVolumesOptions): Promise<PreparedVolume[]> {
  // Refuse before doing anything slow.
  for (const v of plan.volumes) {
    if (v.type === 'unsupported') throw new UnsupportedVolumeError(v.name, v.found);
  }
  await mkdir(options.runDir, { recursive: true });
  const cache = options.cache ?? new DiskCache(options.cacheDir);
  const signal = options.signal ? { signal: options.signal } : {};
  const prepared: PreparedVolume[] = [];
  for (const v of plan.volumes) {
    const name = v.name;
    if (v.type === 'containerDisk') {
      const pulled = await cache.pull(v.image, {
        ...(options.mirrors ? { mirrors: options.mirrors } : {}),
        ...(v.pullPolicy ? { pullPolicy: v.pullPolicy } : {}),
        ...(v.path !== undefined ? { path: v.path } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...signal,
      });
      const overlay = await createOverlay(pulled.path, join(options.runDir, `${fileBase(name)}.qcow2`), signal);
      prepared.push({ name, path: overlay.path, format: 'qcow2' });
    } else if (v.type === 'cloudInitNoCloud') {
      const files = noCloudFiles(name, v.source, plan.cloudInit);
      const iso = await buildCloudInitIso(files, join(options.runDir, `${fileBase(name)}.iso`), signal);
      prepared.push({ name, path: iso, format: 'raw', readonly: true, cdrom: true });
    } else if (v.type === 'emptyDisk') {
      const disk = await createEmptyDisk(name, v.capacity, join(options.runDir, `${fileBase(name)}.qcow2`), signal);
      prepared.push({ name, path: disk.path, format: 'qcow2' });
    } else if (v.type === 'claim') {
      // The claim's own file, no overlay: the guest's writes outlive the VMI.
      if (options.claimsDir === undefined) throw new UnsupportedVolumeError(name, v.from);
      const disk = await openClaim(options.claimsDir, options.namespace ?? 'default', v.claimName);
      prepared.push({ name, path: disk.path, format: disk.format, ...(v.readonly ? { readonly: true } : {}) });
    } else if (v.type === 'config') {
      const iso = await buildConfigDisk({ name, kind: v.kind, objectName: v.objectName, label: v.label }, options.configVolumes?.get(name), options.runDir, signal);
      prepared.push({ name, path: iso, format: 'raw', readonly: true, cdrom: true });
    } else if (v.type === 'media') {
      if (options.mediaRoot === undefined) throw new UnsupportedVolumeError(name, 'virtual media');
      if (v.image === undefined) prepared.push({ name, path: '', format: 'raw', readonly: true, cdrom: true, empty: true });
      else prepared.push({ name, path: await openMedia(options.mediaRoot, v.vmUid), format: 'raw', readonly: true, cdrom: true });
    }
  }
  return prepared;
}
