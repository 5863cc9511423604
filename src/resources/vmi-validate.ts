// Admission for VirtualMachineInstance: KubeVirt's create rules on the spec (shared with the
// VM template), plus the update restriction. Pure: returns causes, throws nothing.
import { CauseType, type Cause } from './causes.ts';
import type { AdmissionContext } from './kind.ts';
import { validateObjectName } from './names.ts';
import { isObj, jsonEqual, objAt, type Obj } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { validateDomain } from './vmi-domain-rules.ts';
import { validateNetworks } from './vmi-network-rules.ts';
import { vmiSchema } from './vmi-schema.ts';
import { validateBootOrderAndDiskVolumes, validateDisks, validateVolumes, validateVolumesHaveDisks } from './vmi-storage-rules.ts';

/** KubeVirt's ValidateVirtualMachineInstanceSpec subset for a spec at `base` (`spec` or `spec.template.spec`). */
export function validateVmiSpec(spec: Obj, base: string): Cause[] {
  return [
    ...validateDomain(spec, base),
    ...validateNetworks(spec, base),
    ...validateBootOrderAndDiskVolumes(spec, base),
    ...validateVolumes(spec, base),
    ...validateDisks(spec, base),
  ];
}

/** Full VMI admission: schema types, metadata.name, then the spec rules on CREATE; spec immutability on UPDATE. */
export function validateVmi(object: Obj, context: AdmissionContext): Cause[] {
  if (context.operation === 'UPDATE' && context.old) {
    if (!jsonEqual(object.spec, context.old.spec)) {
      return [{ type: CauseType.NotSupported, field: 'spec', message: 'update of VMI object is restricted' }];
    }
    return schemaCauses(vmiSchema, object);
  }
  const structural = schemaCauses(vmiSchema, object);
  const names = validateObjectName(object);
  if (structural.length > 0) return [...structural, ...names];
  const spec = objAt(object, 'spec');
  if (!spec || !isObj(spec.domain)) return names;
  return [...validateVmiSpec(spec, 'spec'), ...validateVolumesHaveDisks(spec, 'spec'), ...names];
}
