// The API's admission step for VMs with an instancetype or preference, as KubeVirt's VM webhooks
// do it: the instancetype is applied to a copy of the template and every field both set is
// refused with KubeVirt's conflict message; the preference's machine type goes into the template
// (KubeVirt's VM mutator); a preference's requirements (minimum vCPUs, memory) must be met. First
// a matcher with inferFromVolume gets its name from the volume's labels (instancetype-infer.ts).
// What the matchers name may not exist yet: that is not refused here
// (KubeVirt ignores it at admission), the VM controller reports it.
import type { MutationDenial, Mutator } from '../api/admission.ts';
import { findSpec, InstancetypeLookupError } from '../controllers/instancetype-resolve.ts';
import { expandInstancetype } from '../resources/instancetype-apply.ts';
import { requirementCauses } from '../resources/preference-requirements.ts';
import { defaultVmiSpec } from '../resources/vmi-defaults.ts';
import type { MatcherField } from '../resources/instancetype-matcher.ts';
import type { InstancetypeSpec, PreferenceSpec } from '../resources/instancetype-schema.ts';
import { clone, ensureObj, isObj, objAt, type Obj } from '../resources/object-path.ts';
import type { ObjectStore, ResourceKey, StoredObject } from '../store/types.ts';
import { getOrNone } from '../controllers/object-client.ts';
import { CauseType } from '../resources/causes.ts';
import { inferMatchers } from '../resources/instancetype-infer.ts';

export const VM_WEBHOOK = 'virtualmachine-validator.kubevirt.io';
/** KubeVirt's VM mutating webhook, which infers matchers from volumes. */
export const VM_MUTATOR_WEBHOOK = 'virtualmachines-mutator.kubevirt.io';
const VOLUME_KEYS = {
  PersistentVolumeClaim: { group: '', resource: 'persistentvolumeclaims' },
  DataVolume: { group: 'cdi.kubevirt.io', resource: 'datavolumes' },
} as const satisfies Record<string, ResourceKey>;

/** The VM admission step for instancetypes and preferences, reading them from `store`. */
export function instancetypeMutator(store: ObjectStore): Mutator {
  return (original) => {
    if (original.kind.group !== 'kubevirt.io' || original.kind.kind !== 'VirtualMachine') return original.object;
    const inferred = inferMatchers(original.object, (kind, namespace, name) => getOrNone(store, VOLUME_KEYS[kind], namespace, name) as Obj | undefined);
    if ('message' in inferred) return { webhook: VM_MUTATOR_WEBHOOK, causes: [{ type: CauseType.Invalid, field: inferred.field, message: inferred.message }] };
    const mutatedByInference = inferred.vm !== original.object;
    const request = { ...original, object: inferred.vm };
    const spec = objAt(request.object, 'spec');
    const templateSpec = objAt(objAt(spec, 'template'), 'spec');
    if (!spec || !templateSpec || (!isObj(spec.instancetype) && !isObj(spec.preference))) return request.object;
    // The stored status (pinned revisions) counts on UPDATE; a new VM has none.
    const vm = { ...request.object, status: request.old?.status } as unknown as StoredObject;
    const find = (field: MatcherField): Obj | undefined => {
      try {
        return findSpec(store, vm, field);
      } catch (err) {
        if (err instanceof InstancetypeLookupError) return undefined;
        throw err;
      }
    };
    const instancetype = find('instancetype') as InstancetypeSpec | undefined;
    const preference = find('preference') as PreferenceSpec | undefined;
    const templateMeta = objAt(objAt(spec, 'template'), 'metadata');
    const annotations = (objAt(templateMeta, 'annotations') ?? {}) as Record<string, string>;
    const out = expandInstancetype('spec.template.spec', templateSpec, annotations, instancetype, preference);
    if (out.conflicts.length > 0) return { webhook: VM_WEBHOOK, causes: out.conflicts } satisfies MutationDenial;
    // Requirements are checked on the expanded copy with the VMI defaults applied, as in KubeVirt.
    defaultVmiSpec(out.spec, '');
    const unmet = requirementCauses(instancetype, preference, out.spec);
    if (unmet.length > 0) return { webhook: VM_WEBHOOK, causes: unmet } satisfies MutationDenial;
    const machineType = preference?.machine?.preferredMachineType;
    const domain = objAt(templateSpec, 'domain');
    if (!machineType || objAt(domain, 'machine')?.type) return request.object;
    const mutated = mutatedByInference ? request.object : clone(request.object);
    const target = objAt(objAt(objAt(mutated, 'spec'), 'template'), 'spec') as Obj;
    ensureObj(ensureObj(target, 'domain'), 'machine').type = machineType;
    return mutated;
  };
}
