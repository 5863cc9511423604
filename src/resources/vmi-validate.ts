// Admission for VirtualMachineInstance: the spec parsed by parseVmiSpec (KubeVirt's create
// rules, shared with the VM template), plus the update restriction. Pure: returns causes, throws nothing.
import { CauseType, type Cause } from './causes.ts';
import type { AdmissionContext } from './kind.ts';
import { validateObjectName } from './names.ts';
import { jsonEqual, objAt, type Obj } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { vmiSchema } from './vmi-schema.ts';
import { parseVmiSpec } from './vmi-spec.ts';

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
  if (!spec) return names;
  return [...parseVmiSpec(spec, 'spec', { volumesNeedDisks: true }).causes, ...names];
}
