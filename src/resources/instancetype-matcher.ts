// A VM's `spec.instancetype` / `spec.preference` matchers: which kind they name (KubeVirt's
// finders take an empty kind as the cluster-wide one), KubeVirt's mutating-webhook checks, and
// the ControllerRevision that pins what a VM started with (pkg/instancetype/revision).
import { CauseType, type Cause } from './causes.ts';
import { isObj, objAt, type Obj } from './object-path.ts';

export type MatcherField = 'instancetype' | 'preference';

export interface Matcher {
  name?: string;
  kind?: string;
  revisionName?: string;
  inferFromVolume?: string;
  inferFromVolumeFailurePolicy?: string;
}

/** The kinds a matcher may name, by what KubeVirt accepts (singular or plural resource names; empty = cluster). */
const KIND_NAMES: Record<MatcherField, Record<string, string>> = {
  instancetype: {
    '': 'VirtualMachineClusterInstancetype',
    virtualmachineclusterinstancetype: 'VirtualMachineClusterInstancetype',
    virtualmachineclusterinstancetypes: 'VirtualMachineClusterInstancetype',
    virtualmachineinstancetype: 'VirtualMachineInstancetype',
    virtualmachineinstancetypes: 'VirtualMachineInstancetype',
  },
  preference: {
    '': 'VirtualMachineClusterPreference',
    virtualmachineclusterpreference: 'VirtualMachineClusterPreference',
    virtualmachineclusterpreferences: 'VirtualMachineClusterPreference',
    virtualmachinepreference: 'VirtualMachinePreference',
    virtualmachinepreferences: 'VirtualMachinePreference',
  },
};

/** The VM's matcher, when it has one. */
export function matcherOf(vm: Obj, field: MatcherField): Matcher | undefined {
  const m = objAt(objAt(vm, 'spec'), field);
  return m ? (m as Matcher) : undefined;
}

/** The kind a matcher names, or undefined for a kind KubeVirt does not know. */
export function matcherKind(field: MatcherField, matcher: Matcher): string | undefined {
  return KIND_NAMES[field][(matcher.kind ?? '').toLowerCase()];
}

/** KubeVirt's error for a kind it does not know (pkg/instancetype/find/spec.go). */
export const unexpectedKindMessage = (field: MatcherField, kind: string | undefined): string =>
  `got unexpected kind in ${field === 'instancetype' ? 'InstancetypeMatcher' : 'PreferenceMatcher'}: ${kind ?? ''}`;

const MATCHER_TYPE = { instancetype: 'InstancetypeMatcher', preference: 'PreferenceMatcher' } as const;

/** KubeVirt's matcher checks (webhooks/vm/mutator.go): a name, and the name not changed under a kept revisionName. */
export function matcherCauses(vm: Obj, old: Obj | undefined): Cause[] {
  const causes: Cause[] = [];
  for (const field of ['instancetype', 'preference'] as const) {
    const m = matcherOf(vm, field);
    if (!m) continue;
    const before = old ? matcherOf(old, field) : undefined;
    if (before?.revisionName && m.name !== before.name && m.revisionName === before.revisionName) {
      causes.push({ type: CauseType.Invalid, field: `spec.${field}.revisionName`, message: 'the Matcher Name has been updated without updating the RevisionName' });
    }
    if (!m.name && !m.inferFromVolume) {
      causes.push({ type: CauseType.Required, field: `spec.${field}`, message: `Either Name or InferFromVolume should be provided within the ${MATCHER_TYPE[field]}` });
    }
    // inferFromVolume itself is resolved by the daemon's admission step (instancetype-infer.ts),
    // which replaces the matcher; what is checked here is its shape.
    if (m.inferFromVolume) {
      for (const key of ['name', 'kind'] as const) {
        if (m[key]) causes.push({ type: CauseType.Invalid, field: `spec.${field}.${key}`, message: `${key === 'name' ? 'Name' : 'Kind'} should not be provided when InferFromVolume is used within the ${field} matcher` });
      }
    }
    const policy = m.inferFromVolumeFailurePolicy;
    if (policy !== undefined && policy !== 'Ignore' && policy !== 'Reject') {
      causes.push({ type: CauseType.Invalid, field: `spec.${field}.inferFromVolumeFailurePolicy`, message: `Invalid value '${policy}' for InferFromVolumeFailurePolicy` });
    }
  }
  return causes;
}

export const REVISION_LABELS = {
  generation: 'instancetype.kubevirt.io/object-generation',
  kind: 'instancetype.kubevirt.io/object-kind',
  name: 'instancetype.kubevirt.io/object-name',
  uid: 'instancetype.kubevirt.io/object-uid',
  version: 'instancetype.kubevirt.io/object-version',
} as const;

interface RevisionSource {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; uid: string; generation?: number; [k: string]: unknown };
  spec?: unknown;
}

interface VmRef {
  apiVersion?: string;
  metadata: { name: string; namespace?: string; uid: string };
}

/** KubeVirt's revision name: `<vm>-<object>-<version>-<uid>-<generation>`. */
export function revisionName(vm: VmRef, source: RevisionSource): string {
  return `${vm.metadata.name}-${source.metadata.name}-v1beta1-${source.metadata.uid}-${source.metadata.generation ?? 1}`;
}

/** The ControllerRevision holding `source` for `vm` (KubeVirt's CreateControllerRevision: labels, owner, stripped metadata). */
export function revisionFor(vm: VmRef, source: RevisionSource): { apiVersion: string; kind: string; metadata: Obj; data: Obj; revision: number } {
  const { labels: _l, annotations: _a, finalizers: _f, ownerReferences: _o, managedFields: _m, ...meta } = source.metadata;
  const generation = source.metadata.generation ?? 1;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(vm, source),
      ...(vm.metadata.namespace ? { namespace: vm.metadata.namespace } : {}),
      ownerReferences: [{ apiVersion: vm.apiVersion ?? 'kubevirt.io/v1', kind: 'VirtualMachine', name: vm.metadata.name, uid: vm.metadata.uid, controller: true, blockOwnerDeletion: true }],
      labels: {
        [REVISION_LABELS.generation]: String(generation),
        [REVISION_LABELS.kind]: source.kind ?? '',
        [REVISION_LABELS.name]: source.metadata.name,
        [REVISION_LABELS.uid]: source.metadata.uid,
        [REVISION_LABELS.version]: 'v1beta1',
      },
    },
    data: { apiVersion: source.apiVersion ?? 'instancetype.kubevirt.io/v1beta1', kind: source.kind, metadata: meta, spec: source.spec },
    revision: 0,
  };
}

/** The spec a revision holds, when its data is an instancetype or preference of the expected kind. */
export function revisionSpec(revision: Obj, expectedKinds: readonly string[]): Obj | undefined {
  const data = objAt(revision, 'data');
  if (!data || !expectedKinds.includes(String(data.kind)) || !isObj(data.spec)) return undefined;
  return data.spec;
}
