// A DataVolume's spec (CDI, cdi.kubevirt.io/v1beta1) and its one reading: which source fills the
// claim (blank, http, registry, a pvc to clone) and the PersistentVolumeClaim spec to create,
// from `spec.pvc` as written or from `spec.storage` with CDI's defaults (ReadWriteOnce,
// Filesystem, the default class). Used by the DataVolume kind, the VM's dataVolumeTemplates and
// the DataVolume controller.
import { CauseType, join, shown, type Cause, type Validated } from './causes.ts';
import { claimSpecCauses, claimSpecSchema } from './claim-spec.ts';
import { clone, isObj, type Obj } from './object-path.ts';
import { array, boolean, marker, object, opaque, string } from './schema-builders.ts';

const secretish = { certConfigMap: string('A ConfigMap with the CA bundle to trust (any keys).'), secretRef: string('A Secret with accessKeyId and secretKey (basic auth).') };

export const dataVolumeSpecSchema = object({
  source: object({
    http: object({ url: string(), ...secretish, extraHeaders: array(string()), secretExtraHeaders: array(string()) }, ['url']),
    registry: object({ url: string('docker://IMAGE (a containerDisk image).'), imageStream: string(), pullMethod: string(), platform: opaque(), ...secretish }),
    pvc: object({ namespace: string(), name: string() }, ['name']),
    blank: marker(),
    upload: marker(),
    s3: opaque(),
    gcs: opaque(),
    vddk: opaque(),
    imageio: opaque(),
    snapshot: opaque(),
  }),
  sourceRef: opaque(),
  pvc: claimSpecSchema,
  storage: claimSpecSchema,
  contentType: string('kubevirt (default) or archive.'),
  preallocation: boolean(),
  priorityClassName: string(),
  checkpoints: array(opaque()),
  finalCheckpoint: boolean(),
});

export const SUPPORTED_DV_SOURCES = ['blank', 'http', 'registry', 'pvc'] as const;
const KNOWN_DV_SOURCES = [...SUPPORTED_DV_SOURCES, 'upload', 's3', 'gcs', 'vddk', 'imageio', 'snapshot'] as const;

/** Where a DataVolume's data comes from. */
export type DataVolumeSource =
  | { type: 'blank' }
  | { type: 'http'; url: string; certConfigMap?: string; secretRef?: string }
  | { type: 'registry'; url: string; image: string; certConfigMap?: string; secretRef?: string }
  | { type: 'pvc'; namespace: string; name: string };

/** A DataVolume read once: its source and the claim spec its PersistentVolumeClaim gets. */
export interface DataVolumePlan {
  source: DataVolumeSource;
  /** The PVC spec to create (size may be missing for a clone: the source's size is used). */
  claimSpec: Obj;
}

const present = (o: Obj | undefined, key: string): boolean => o?.[key] !== undefined && o[key] !== null;

/** CDI's webhook checks of a DataVolume spec at `at` (`spec`, `spec.dataVolumeTemplates[0].spec`). */
export function dataVolumeSpecCauses(spec: Obj | undefined, at: string): Cause[] {
  const causes: Cause[] = [];
  const source = isObj(spec?.source) ? spec.source : undefined;
  const found = KNOWN_DV_SOURCES.filter((s) => present(source, s));
  if (!source && present(spec, 'sourceRef')) causes.push({ type: CauseType.NotSupported, field: join(at, 'sourceRef'), message: 'Unsupported value: sourceRef (DataSource): pxevirt supports spec.source only' });
  else if (found.length !== 1) causes.push({ type: CauseType.Invalid, field: join(at, 'source'), message: `Invalid value: expected exactly one source (${SUPPORTED_DV_SOURCES.join(', ')}), found ${found.length === 0 ? 'none' : found.join(', ')}` });
  for (const s of found) {
    if (!(SUPPORTED_DV_SOURCES as readonly string[]).includes(s)) causes.push({ type: CauseType.NotSupported, field: join(join(at, 'source'), s), message: `Unsupported value: source ${s} is not supported by pxevirt; supported sources are ${SUPPORTED_DV_SOURCES.join(', ')}` });
  }
  const http = isObj(source?.http) ? source.http : undefined;
  if (http) {
    const url = http.url;
    let ok = false;
    try {
      const u = new URL(String(url));
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok) causes.push({ type: CauseType.Invalid, field: join(at, 'source.http.url'), message: `Invalid value: ${shown(url)}: expected an http:// or https:// URL` });
  }
  const registry = isObj(source?.registry) ? source.registry : undefined;
  if (registry) {
    const url = registry.url;
    if (typeof url !== 'string' || !url.startsWith('docker://') || url.length <= 'docker://'.length) {
      causes.push({ type: CauseType.Invalid, field: join(at, 'source.registry.url'), message: `Invalid value: ${shown(url)}: expected docker://IMAGE (an imageStream or oci-archive is not supported)` });
    }
  }
  const pvcSource = isObj(source?.pvc) ? source.pvc : undefined;
  if (pvcSource && (typeof pvcSource.name !== 'string' || pvcSource.name === '')) causes.push({ type: CauseType.Required, field: join(at, 'source.pvc.name'), message: 'Required value: the claim to clone' });

  const hasPvc = present(spec, 'pvc');
  const hasStorage = present(spec, 'storage');
  if (hasPvc === hasStorage) {
    causes.push({ type: CauseType.Invalid, field: at, message: `Invalid value: expected exactly one of pvc and storage, found ${hasPvc ? 'both' : 'neither'}` });
  } else {
    const claim = (hasPvc ? spec?.pvc : spec?.storage) as Obj;
    const claimAt = join(at, hasPvc ? 'pvc' : 'storage');
    // spec.storage takes CDI's defaults; a clone may leave the size to its source.
    const withDefaults = hasPvc ? claim : storageDefaults(claim);
    causes.push(...claimSpecCauses(withDefaults, claimAt, { sizeOptional: pvcSource !== undefined }));
  }
  return causes;
}

/** `spec.storage` with what CDI's storage profile would add here: ReadWriteOnce, Filesystem. */
function storageDefaults(storage: Obj): Obj {
  const out = clone(storage);
  if (!Array.isArray(out.accessModes) || out.accessModes.length === 0) out.accessModes = ['ReadWriteOnce'];
  if (out.volumeMode === undefined) out.volumeMode = 'Filesystem';
  return out;
}

const optional = (o: Obj, key: string): Record<string, string> => (typeof o[key] === 'string' && o[key] !== '' ? { [key]: o[key] as string } : {});

/** Reads a DataVolume spec at `at` into its plan (`namespace` is the DataVolume's, for a clone's default). */
export function planDataVolume(spec: unknown, namespace: string, at = 'spec'): Validated<DataVolumePlan> {
  const s = isObj(spec) ? spec : undefined;
  const causes = dataVolumeSpecCauses(s, at);
  if (causes.length > 0 || !s) return { causes };
  const src = s.source as Obj;
  let source: DataVolumeSource;
  if (isObj(src.http)) source = { type: 'http', url: String(src.http.url), ...optional(src.http, 'certConfigMap'), ...optional(src.http, 'secretRef') };
  else if (isObj(src.registry)) {
    const url = String(src.registry.url);
    source = { type: 'registry', url, image: url.slice('docker://'.length), ...optional(src.registry, 'certConfigMap'), ...optional(src.registry, 'secretRef') };
  } else if (isObj(src.pvc)) source = { type: 'pvc', namespace: typeof src.pvc.namespace === 'string' && src.pvc.namespace !== '' ? src.pvc.namespace : namespace, name: String(src.pvc.name) };
  else source = { type: 'blank' };
  const claimSpec = isObj(s.pvc) ? clone(s.pvc) : storageDefaults(s.storage as Obj);
  return { value: { source, claimSpec }, causes: [] };
}

/** Where a source's data comes from, for messages: the URL, the image or `namespace/claim`. */
export function sourceText(source: DataVolumeSource): string {
  switch (source.type) {
    case 'http':
    case 'registry':
      return source.url;
    case 'pvc':
      return `${source.namespace}/${source.name}`;
    case 'blank':
      return 'blank';
  }
}
