// The four kinds of instancetype.kubevirt.io/v1beta1, as KubeVirt's CRDs serve them (names, short
// names, scope, categories; no extra printer columns), with its instancetype webhook's checks.
import { CauseType, type Cause } from './causes.ts';
import type { KindInfo } from './kind.ts';
import { validateObjectName } from './names.ts';
import { clone, isObj, objAt, type Obj } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { instancetypeSchema, preferenceSchema } from './instancetype-schema.ts';

export const INSTANCETYPE_GROUP = 'instancetype.kubevirt.io';

/** KubeVirt's instancetype webhook: overcommitPercent within 0..100 and not together with hugepages. */
export function instancetypeSpecCauses(spec: Obj | undefined, field = 'spec'): Cause[] {
  const memory = objAt(spec, 'memory');
  const percent = memory?.overcommitPercent;
  const causes: Cause[] = [];
  if (typeof percent === 'number' && (percent < 0 || percent > 100)) {
    causes.push({ type: CauseType.Invalid, field: `${field}.memory.overcommitPercent`, message: `${field}.memory.overcommitPercent '${percent}': must be in range between 0 and 100.` });
  }
  if (typeof percent === 'number' && percent !== 0 && isObj(memory?.hugepages)) {
    causes.push({ type: CauseType.Invalid, field: `${field}.memory.overcommitPercent`, message: `${field}.memory.overcommitPercent and ${field}.memory.hugepages should not be requested together.` });
  }
  return causes;
}

const AGE = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' } as const;

function instancetypeKind(cluster: boolean): KindInfo {
  const kind = cluster ? 'VirtualMachineClusterInstancetype' : 'VirtualMachineInstancetype';
  return {
    group: INSTANCETYPE_GROUP,
    versions: ['v1beta1'],
    kind,
    listKind: `${kind}List`,
    plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    shortNames: cluster ? ['vmclusterinstancetype', 'vmclusterinstancetypes', 'vmcf', 'vmcfs'] : ['vminstancetype', 'vminstancetypes', 'vmf', 'vmfs'],
    ...(cluster ? {} : { categories: ['all'] }),
    namespaced: !cluster,
    statusSubresource: false,
    schema: instancetypeSchema,
    printerColumns: [AGE],
    default: (o) => clone(o),
    validate: (o) => {
      const causes = [...schemaCauses(instancetypeSchema, o), ...validateObjectName(o)];
      return causes.length > 0 ? causes : instancetypeSpecCauses(objAt(o, 'spec'));
    },
  };
}

function preferenceKind(cluster: boolean): KindInfo {
  const kind = cluster ? 'VirtualMachineClusterPreference' : 'VirtualMachinePreference';
  return {
    group: INSTANCETYPE_GROUP,
    versions: ['v1beta1'],
    kind,
    listKind: `${kind}List`,
    plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    shortNames: cluster ? ['vmcp', 'vmcps'] : ['vmpref', 'vmprefs', 'vmp', 'vmps'],
    ...(cluster ? {} : { categories: ['all'] }),
    namespaced: !cluster,
    statusSubresource: false,
    schema: preferenceSchema,
    printerColumns: [AGE],
    default: (o) => clone(o),
    validate: (o) => [...schemaCauses(preferenceSchema, o), ...validateObjectName(o)],
  };
}

export const instancetypeKindInfo = instancetypeKind(false);
export const clusterInstancetypeKindInfo = instancetypeKind(true);
export const preferenceKindInfo = preferenceKind(false);
export const clusterPreferenceKindInfo = preferenceKind(true);

/** The four kinds, for the registry. */
export const INSTANCETYPE_KINDS: readonly KindInfo[] = [instancetypeKindInfo, clusterInstancetypeKindInfo, preferenceKindInfo, clusterPreferenceKindInfo];
