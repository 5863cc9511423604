// `inferFromVolume`: a VM's instancetype/preference matcher filled from labels on the volume it
// names, as KubeVirt's VM mutating webhook does (pkg/instancetype/infer): the PVC's labels
// `instancetype.kubevirt.io/default-{instancetype,preference}[-kind]`, or a DataVolume's (its own
// labels first, then the PVC it clones), or a dataVolumeTemplate's source PVC. Pure: the PVCs and
// DataVolumes are read through `lookup`.
import { isObj, objAt, type Obj } from './object-path.ts';
import type { Matcher, MatcherField } from './instancetype-matcher.ts';

/** Reads a PVC or DataVolume of a namespace; undefined when there is none. */
export type VolumeLookup = (kind: 'PersistentVolumeClaim' | 'DataVolume', namespace: string, name: string) => Obj | undefined;

/** Inference failed; `ignorable` failures clear the matcher under `inferFromVolumeFailurePolicy: Ignore` (KubeVirt's IgnoreableInferenceError). */
export class InferenceError extends Error {
  constructor(
    message: string,
    readonly ignorable: boolean,
  ) {
    super(message);
    this.name = 'InferenceError';
  }
}

export const DEFAULT_LABELS: Record<MatcherField, { name: string; kind: string }> = {
  instancetype: { name: 'instancetype.kubevirt.io/default-instancetype', kind: 'instancetype.kubevirt.io/default-instancetype-kind' },
  preference: { name: 'instancetype.kubevirt.io/default-preference', kind: 'instancetype.kubevirt.io/default-preference-kind' },
};

type Found = { name: string; kind?: string };
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function fromLabels(object: Obj, field: MatcherField): Found {
  const labels = objAt(objAt(object, 'metadata'), 'labels') ?? {};
  const name = str(labels[DEFAULT_LABELS[field].name]);
  if (!name) throw new InferenceError(`unable to find required ${DEFAULT_LABELS[field].name} label on the volume`, true);
  const kind = str(labels[DEFAULT_LABELS[field].kind]);
  return kind ? { name, kind } : { name };
}

function fromPvc(lookup: VolumeLookup, namespace: string, name: string, field: MatcherField): Found {
  const pvc = lookup('PersistentVolumeClaim', namespace, name);
  if (!pvc) throw new InferenceError(`persistentvolumeclaims "${name}" not found`, false);
  return fromLabels(pvc, field);
}

function fromDataVolumeSpec(lookup: VolumeLookup, spec: Obj | undefined, namespace: string, field: MatcherField): Found {
  const pvc = objAt(objAt(spec, 'source'), 'pvc');
  if (pvc && str(pvc.name)) return fromPvc(lookup, str(pvc.namespace) ?? namespace, String(pvc.name), field);
  const ref = objAt(spec, 'sourceRef');
  if (ref) {
    // pxevirt serves no DataSource kind: KubeVirt would fail to get it, so this is not ignorable either.
    if (ref.kind === 'DataSource') throw new InferenceError(`datasources.cdi.kubevirt.io "${String(ref.name ?? '')}" not found: pxevirt serves no DataSource objects`, false);
    throw new InferenceError(`unable to infer defaults from DataVolumeSourceRef as Kind ${String(ref.kind ?? '')} is not supported`, true);
  }
  throw new InferenceError('unable to infer defaults from DataVolumeSpec as DataVolumeSource is not supported', true);
}

function fromDataVolume(lookup: VolumeLookup, vm: Obj, namespace: string, name: string, field: MatcherField): Found {
  const templates = objAt(vm, 'spec')?.dataVolumeTemplates;
  const template = Array.isArray(templates) ? templates.find((t) => isObj(t) && objAt(t, 'metadata')?.name === name) : undefined;
  if (isObj(template)) return fromDataVolumeSpec(lookup, objAt(template, 'spec'), namespace, field);
  const dv = lookup('DataVolume', namespace, name);
  // A DataVolume garbage-collected after its import leaves its PVC of the same name.
  if (!dv) return fromPvc(lookup, namespace, name, field);
  try {
    return fromLabels(dv, field);
  } catch {
    return fromDataVolumeSpec(lookup, objAt(dv, 'spec'), namespace, field);
  }
}

/** The matcher `inferFromVolume` names for `field` of `vm` (KubeVirt's fromVolumes); throws InferenceError. */
export function inferFromVolume(vm: Obj, field: MatcherField, volumeName: string, lookup: VolumeLookup): Found {
  const namespace = String(objAt(vm, 'metadata')?.namespace ?? 'default');
  const volumes = objAt(objAt(objAt(vm, 'spec'), 'template'), 'spec')?.volumes;
  const volume = Array.isArray(volumes) ? volumes.find((v) => isObj(v) && v.name === volumeName) : undefined;
  if (!isObj(volume)) throw new InferenceError(`unable to find volume ${volumeName} to infer defaults`, false);
  const claim = objAt(volume, 'persistentVolumeClaim');
  if (claim) return fromPvc(lookup, namespace, String(claim.claimName ?? ''), field);
  const dataVolume = objAt(volume, 'dataVolume');
  if (dataVolume) return fromDataVolume(lookup, vm, namespace, String(dataVolume.name ?? ''), field);
  throw new InferenceError(`unable to infer defaults from volume ${volumeName} as type is not supported`, true);
}

/**
 * Replaces each matcher that only names `inferFromVolume` with the inferred `{name, kind}`, on a
 * copy of `vm` (KubeVirt's infer handler). A failure is `{ field, message }`; an ignorable one
 * under policy Ignore drops the matcher instead. A matcher that also has a name or kind is left
 * for validation to refuse, as KubeVirt checks matchers before inferring.
 */
export function inferMatchers(vm: Obj, lookup: VolumeLookup): { vm: Obj } | { field: string; message: string } {
  let out = vm;
  for (const field of ['instancetype', 'preference'] as const) {
    const matcher = objAt(objAt(out, 'spec'), field) as Matcher | undefined;
    if (!matcher?.inferFromVolume || matcher.name || matcher.kind) continue;
    const ignore = matcher.inferFromVolumeFailurePolicy === 'Ignore';
    out = structuredClone(out);
    const spec = objAt(out, 'spec') as Obj;
    try {
      const found = inferFromVolume(out, field, matcher.inferFromVolume, lookup);
      spec[field] = found;
      // KubeVirt: with policy Ignore the template may carry fallback memory; an inferred instancetype replaces it.
      if (field === 'instancetype' && ignore) delete objAt(objAt(objAt(spec, 'template'), 'spec'), 'domain')?.memory;
    } catch (err) {
      if (!(err instanceof InferenceError)) throw err;
      if (err.ignorable && ignore) delete spec[field];
      else return { field: `spec.${field}.inferFromVolume`, message: err.message };
    }
  }
  return { vm: out };
}
