// The four kinds of instancetype.kubevirt.io/v1beta1, as KubeVirt's CRDs serve them (names, short
// names, scope, categories; no extra printer columns), with its instancetype webhook's checks.
import { CauseType, type Cause } from './causes.ts';
import type { KindInfo, Schema } from './kind.ts';
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

/** One of the four kinds: `base` is `Instancetype` or `Preference`; the cluster-wide ones have no category. */
function typeKind(base: 'Instancetype' | 'Preference', cluster: boolean, shortNames: string[], schema: Schema, specCauses: (spec: Obj | undefined) => Cause[]): KindInfo {
  const kind = `VirtualMachine${cluster ? 'Cluster' : ''}${base}`;
  return {
    group: INSTANCETYPE_GROUP,
    versions: ['v1beta1'],
    kind,
    listKind: `${kind}List`,
    plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    shortNames,
    ...(cluster ? {} : { categories: ['all'] }),
    namespaced: !cluster,
    statusSubresource: false,
    schema,
    printerColumns: [AGE],
    default: (o) => clone(o),
    validate: (o) => {
      const causes = [...schemaCauses(schema, o), ...validateObjectName(o)];
      return causes.length > 0 ? causes : specCauses(objAt(o, 'spec'));
    },
  };
}

const none = (): Cause[] => [];

export const instancetypeKindInfo = typeKind('Instancetype', false, ['vminstancetype', 'vminstancetypes', 'vmf', 'vmfs'], instancetypeSchema, instancetypeSpecCauses);
export const clusterInstancetypeKindInfo = typeKind('Instancetype', true, ['vmclusterinstancetype', 'vmclusterinstancetypes', 'vmcf', 'vmcfs'], instancetypeSchema, instancetypeSpecCauses);
export const preferenceKindInfo = typeKind('Preference', false, ['vmpref', 'vmprefs', 'vmp', 'vmps'], preferenceSchema, none);
export const clusterPreferenceKindInfo = typeKind('Preference', true, ['vmcp', 'vmcps'], preferenceSchema, none);

/** The four kinds, for the registry. */
export const INSTANCETYPE_KINDS: readonly KindInfo[] = [instancetypeKindInfo, clusterInstancetypeKindInfo, preferenceKindInfo, clusterPreferenceKindInfo];
