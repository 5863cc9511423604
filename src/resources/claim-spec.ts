// A PersistentVolumeClaim's spec (also a DataVolume's `spec.pvc` / `spec.storage`) and its one
// reading: the claim plan (size in bytes, volume mode, access modes, storage class and the file
// format the class stores it in). pxevirt's storage classes are built in (local files, one node):
// `local` (the default, raw) and `local-qcow2`.
import { CauseType, join, shown, type Cause, type Validated } from './causes.ts';
import { parseQuantity, quantityValue } from '../lib/quantity.ts';
import { isObj, type Obj } from './object-path.ts';
import { array, map, object, opaque, quantity, string, type Static } from './schema-builders.ts';

export const claimSpecSchema = object({
  accessModes: array(string(), 'ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod.'),
  resources: object({ requests: map(quantity()), limits: map(quantity()) }),
  storageClassName: string('A built-in class: local (default, raw files) or local-qcow2.'),
  volumeMode: string('Filesystem (default) or Block; both are one file on this node.'),
  volumeName: string(),
  selector: opaque(),
  dataSource: opaque(),
  dataSourceRef: opaque(),
  volumeAttributesClassName: string(),
});

export type ClaimSpec = Static<typeof claimSpecSchema>;

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;
export const VOLUME_MODES = ['Filesystem', 'Block'] as const;
export type VolumeMode = (typeof VOLUME_MODES)[number];
export type ClaimFormat = 'raw' | 'qcow2';

/** A built-in storage class: its name, the file format it keeps claims in, whether it is the default. */
export interface StorageClassInfo {
  name: string;
  format: ClaimFormat;
  isDefault: boolean;
}

export const STORAGE_CLASSES: readonly StorageClassInfo[] = [
  { name: 'local', format: 'raw', isDefault: true },
  { name: 'local-qcow2', format: 'qcow2', isDefault: false },
];
export const DEFAULT_STORAGE_CLASS = 'local';
/** The provisioner the built-in classes name (StorageClass.provisioner). */
export const LOCAL_PROVISIONER = 'pxevirt.io/local';

/** What a claim means on this node. */
export interface ClaimPlan {
  /** The requested size, rounded up to whole 512-byte sectors. */
  sizeBytes: number;
  /** The size as requested (status.capacity shows it back). */
  sizeText: string;
  volumeMode: VolumeMode;
  accessModes: string[];
  storageClassName: string;
  format: ClaimFormat;
}

/** The storage class a claim names, or the default; undefined when it names one that does not exist. */
export function storageClassOf(name: unknown): StorageClassInfo | undefined {
  if (name === undefined || name === null || name === '') return STORAGE_CLASSES.find((c) => c.isDefault);
  return STORAGE_CLASSES.find((c) => c.name === name);
}

/** The requested storage size at `at` (`spec.resources`), or a cause naming what was found. */
export function requestedBytes(spec: Obj | undefined, at: string): { bytes?: number; text?: string; cause?: Cause } {
  const requests = isObj(spec?.resources) && isObj(spec.resources.requests) ? spec.resources.requests : undefined;
  const raw = requests?.storage;
  const field = `${join(at, 'resources')}[storage]`;
  if (raw === undefined) return { cause: { type: CauseType.Required, field, message: 'Required value' } };
  const q = parseQuantity(raw);
  if (q === undefined || q.value <= 0) return { cause: { type: CauseType.Invalid, field, message: `Invalid value: ${shown(raw)}: must be greater than zero` } };
  return { bytes: Math.ceil(quantityValue(q) / 512) * 512, text: typeof raw === "string" ? raw : String(raw) };
}

/** Field checks kube-apiserver makes on a claim spec at `at` (access modes, size, volume mode). */
export function claimSpecCauses(spec: Obj | undefined, at: string, options: { sizeOptional?: boolean } = {}): Cause[] {
  const causes: Cause[] = [];
  const modes = Array.isArray(spec?.accessModes) ? spec.accessModes : [];
  if (modes.length === 0) causes.push({ type: CauseType.Required, field: join(at, 'accessModes'), message: 'Required value: at least 1 access mode is required' });
  for (const m of modes) {
    if (!(ACCESS_MODES as readonly unknown[]).includes(m)) causes.push({ type: CauseType.NotSupported, field: join(at, 'accessModes'), message: `Unsupported value: ${shown(m)}: supported values: ${ACCESS_MODES.map((a) => `"${a}"`).join(', ')}` });
  }
  const size = requestedBytes(spec, at);
  if (size.cause && !(options.sizeOptional && size.cause.type === CauseType.Required)) causes.push(size.cause);
  const mode = spec?.volumeMode;
  if (mode !== undefined && !(VOLUME_MODES as readonly unknown[]).includes(mode)) causes.push({ type: CauseType.NotSupported, field: join(at, 'volumeMode'), message: `Unsupported value: ${shown(mode)}: supported values: "Block", "Filesystem"` });
  return causes;
}

/** Reads a claim spec (already admitted) into its plan; a storage class that does not exist is a cause. */
export function planClaim(spec: unknown, at = 'spec'): Validated<ClaimPlan> {
  const s = isObj(spec) ? spec : undefined;
  const causes = claimSpecCauses(s, at);
  const cls = storageClassOf(s?.storageClassName);
  if (!cls) causes.push({ type: CauseType.NotSupported, field: join(at, 'storageClassName'), message: `storageclass.storage.k8s.io ${shown(s?.storageClassName)} not found: expected one of ${STORAGE_CLASSES.map((c) => c.name).join(', ')}` });
  const size = requestedBytes(s, at);
  if (causes.length > 0 || !cls || size.bytes === undefined) return { causes };
  return {
    value: {
      sizeBytes: size.bytes,
      sizeText: size.text ?? String(size.bytes),
      volumeMode: (s?.volumeMode as VolumeMode | undefined) ?? 'Filesystem',
      accessModes: (s?.accessModes as string[]).slice(),
      storageClassName: cls.name,
      format: cls.format,
    },
    causes: [],
  };
}
