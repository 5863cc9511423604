// The VirtualMachine kind: a VMI template and a run strategy. Defaults go to the template's
// spec (machine type like KubeVirt's VM mutator, plus the firmware UUID its VM controller sets);
// what an instancetype or preference gives is left unset in the template (defaulted in the VMI).
import { CauseType, type Cause } from './causes.ts';
import type { AdmissionContext, KindInfo } from './kind.ts';
import { validateObjectName } from './names.ts';
import { clone, isObj, objAt, type Obj } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { defaultVmiSpec } from './vmi-defaults.ts';
import { V1ALPHA3_WARNING } from './vmi-kind.ts';
import { parseVmiSpec } from './vmi-spec.ts';
import { dataVolumeTemplateCauses } from './datavolume-template.ts';
import { matcherCauses } from './instancetype-matcher.ts';
import { RUN_STRATEGIES, vmSchema } from './vm-schema.ts';

/** Applies VMI defaults to spec.template.spec (on create and update; defaults are idempotent). */
export function defaultVm(object: Obj): Obj {
  const out = clone(object);
  const template = objAt(objAt(out, 'spec'), 'template');
  const spec = objAt(template, 'spec');
  const name = objAt(out, 'metadata')?.name;
  const vmSpec = objAt(out, 'spec');
  if (spec) defaultVmiSpec(spec, typeof name === 'string' ? name : '', { instancetype: isObj(vmSpec?.instancetype), preference: isObj(vmSpec?.preference) });
  return out;
}

/** KubeVirt's VM admission: template required, running xor runStrategy, valid strategy, template spec rules. */
export function validateVm(object: Obj, context: AdmissionContext): Cause[] {
  const structural = schemaCauses(vmSchema, object).filter((c) => c.field !== 'spec.template');
  const causes: Cause[] = [...structural, ...validateObjectName(object)];
  const spec = objAt(object, 'spec');
  if (!spec) return causes;
  const template = objAt(spec, 'template');
  if (!template) {
    causes.push({ type: CauseType.Required, field: 'spec.template', message: 'missing virtual machine template.' });
    return causes;
  }
  if (structural.length > 0) return causes;
  const templateSpec = objAt(template, 'spec');
  // KubeVirt validates the template after applying the instancetype, whose memory.guest is required.
  const fromInstancetype = (c: Cause): boolean => isObj(spec.instancetype) && c.message.startsWith('no memory requested');
  if (templateSpec && isObj(templateSpec.domain)) causes.push(...parseVmiSpec(templateSpec, 'spec.template.spec').causes.filter((c) => !fromInstancetype(c)));
  causes.push(...matcherCauses(object, context.old));
  causes.push(...dataVolumeTemplateCauses(spec));
  const hasRunning = spec.running !== undefined && spec.running !== null;
  const hasStrategy = spec.runStrategy !== undefined && spec.runStrategy !== null;
  if (hasRunning && hasStrategy) {
    causes.push({ type: CauseType.Invalid, field: 'spec.running', message: 'Running and RunStrategy are mutually exclusive. Note that Running is deprecated, please use RunStrategy instead' });
  }
  if (!hasRunning && !hasStrategy) causes.push({ type: CauseType.Invalid, field: 'spec.running', message: 'RunStrategy must be specified' });
  if (hasStrategy && !(RUN_STRATEGIES as readonly unknown[]).includes(spec.runStrategy)) {
    causes.push({ type: CauseType.Invalid, field: 'spec.runStrategy', message: `Invalid RunStrategy (${String(spec.runStrategy)})` });
  }
  return causes;
}

export const vmKind: KindInfo = {
  group: 'kubevirt.io',
  versions: ['v1', 'v1alpha3'],
  deprecated: { v1alpha3: V1ALPHA3_WARNING },
  kind: 'VirtualMachine',
  listKind: 'VirtualMachineList',
  plural: 'virtualmachines',
  singular: 'virtualmachine',
  shortNames: ['vm', 'vms'],
  categories: ['all'],
  namespaced: true,
  statusSubresource: true,
  schema: vmSchema,
  printerColumns: [
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Status', type: 'string', jsonPath: '.status.printableStatus', description: 'Human Readable Status' },
    { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
  ],
  default: (object) => defaultVm(object),
  validate: validateVm,
};
