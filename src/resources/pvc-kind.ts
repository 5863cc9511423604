// PersistentVolumeClaim (core v1) and StorageClass (storage.k8s.io/v1), as kube-apiserver keeps
// them: a claim's spec is fixed once created (pxevirt does not expand claims), the default
// storage class is filled in on create, and the built-in classes are served read-only.
import { CauseType, type Cause } from './causes.ts';
import { claimSpecCauses, claimSpecSchema, DEFAULT_STORAGE_CLASS, LOCAL_PROVISIONER, STORAGE_CLASSES } from './claim-spec.ts';
import type { KindInfo } from './kind.ts';
import { objectSchema } from './meta-schema.ts';
import { validateObjectName } from './names.ts';
import { clone, ensureObj, isObj, jsonEqual, type Obj } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { array, boolean, dateTime, map, object, quantity, string } from './schema-builders.ts';

const pvcSchema = objectSchema({
  spec: claimSpecSchema,
  status: object({
    phase: string('Pending, Bound or Lost.'),
    accessModes: array(string()),
    capacity: map(quantity()),
    conditions: array(object({ type: string(), status: string(), reason: string(), message: string(), lastProbeTime: dateTime(), lastTransitionTime: dateTime() })),
  }),
});

export const pvcKind: KindInfo = {
  group: '',
  versions: ['v1'],
  kind: 'PersistentVolumeClaim',
  listKind: 'PersistentVolumeClaimList',
  plural: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  shortNames: ['pvc'],
  namespaced: true,
  statusSubresource: true,
  schema: pvcSchema,
  printerColumns: [
    { name: 'Status', type: 'string', jsonPath: '.status.phase' },
    { name: 'Volume', type: 'string', jsonPath: '.spec.volumeName' },
    { name: 'Capacity', type: 'string', jsonPath: '.status.capacity.storage' },
    { name: 'Access Modes', type: 'string', jsonPath: '.status.accessModes', value: (o) => accessModesText(isObj(o.status) ? o.status.accessModes : undefined) },
    { name: 'StorageClass', type: 'string', jsonPath: '.spec.storageClassName' },
    { name: 'VolumeAttributesClass', type: 'string', jsonPath: '.spec.volumeAttributesClassName', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'VolumeMode', type: 'string', jsonPath: '.spec.volumeMode', priority: 1 },
  ],
  default: (o, context) => {
    const out = clone(o);
    const spec = ensureObj(out, 'spec');
    if (context.operation === 'CREATE' && (spec.storageClassName === undefined || spec.storageClassName === null)) spec.storageClassName = DEFAULT_STORAGE_CLASS;
    if (spec.volumeMode === undefined) spec.volumeMode = 'Filesystem';
    if (context.operation === 'CREATE' && (out.status === undefined || isObj(out.status))) {
      const status = ensureObj(out, 'status');
      if (status.phase === undefined) status.phase = 'Pending';
    }
    return out;
  },
  validate: (o, context) => {
    const causes: Cause[] = [...schemaCauses(pvcSchema, o), ...validateObjectName(o)];
    const spec = isObj(o.spec) ? o.spec : undefined;
    causes.push(...claimSpecCauses(spec, 'spec'));
    if (context.operation === 'UPDATE' && context.old && !jsonEqual(specWithoutVolumeName(context.old.spec), specWithoutVolumeName(o.spec))) {
      causes.push({ type: CauseType.Invalid, field: 'spec', message: 'Forbidden: spec is immutable after creation (pxevirt does not resize claims)' });
    }
    return causes;
  },
};

/** The binder fills spec.volumeName once; every other spec field stays as created. */
function specWithoutVolumeName(spec: unknown): unknown {
  if (!isObj(spec)) return spec;
  const { volumeName: _ignored, ...rest } = spec;
  return rest;
}

/** kubectl's short access-mode names (RWO, ROX, RWX, RWOP). */
export function accessModesText(modes: unknown): string {
  if (!Array.isArray(modes)) return '';
  const short: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
  return modes.map((m) => short[String(m)] ?? String(m)).join(',');
}

const storageClassSchema = objectSchema({
  provisioner: string(),
  parameters: map(string()),
  reclaimPolicy: string(),
  volumeBindingMode: string(),
  allowVolumeExpansion: boolean(),
  mountOptions: array(string()),
  allowedTopologies: array(object({})),
});

/** The built-in StorageClass objects (the daemon creates them at start). */
export function builtInStorageClasses(): Obj[] {
  return STORAGE_CLASSES.map((c) => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: c.name, ...(c.isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
    provisioner: LOCAL_PROVISIONER,
    parameters: { format: c.format },
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: false,
  }));
}

export const storageClassKind: KindInfo = {
  group: 'storage.k8s.io',
  versions: ['v1'],
  kind: 'StorageClass',
  listKind: 'StorageClassList',
  plural: 'storageclasses',
  singular: 'storageclass',
  shortNames: ['sc'],
  namespaced: false,
  statusSubresource: false,
  schema: storageClassSchema,
  printerColumns: [
    { name: 'Provisioner', type: 'string', jsonPath: '.provisioner' },
    { name: 'ReclaimPolicy', type: 'string', jsonPath: '.reclaimPolicy' },
    { name: 'VolumeBindingMode', type: 'string', jsonPath: '.volumeBindingMode' },
    { name: 'AllowVolumeExpansion', type: 'boolean', jsonPath: '.allowVolumeExpansion' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  default: (o) => clone(o),
  // Served read-only: the classes are built into the local provisioner.
  validate: () => [{ type: CauseType.Invalid, field: 'metadata.name', message: `Forbidden: storage classes are built in and read-only; pxevirt provides ${STORAGE_CLASSES.map((c) => c.name).join(' and ')}` }],
};
