// The VirtualMachineInstance kind (kubevirt.io/v1, v1alpha3 deprecated): names, printer
// columns like KubeVirt's CRD, defaulting on create and admission.
import type { KindInfo } from './kind.ts';
import { clone, ensureObj, isObj, type Obj } from './object-path.ts';
import { defaultVmiSpec } from './vmi-defaults.ts';
import { vmiSchema } from './vmi-schema.ts';
import { validateVmi } from './vmi-validate.ts';

/** The warning KubeVirt sends for every kubevirt.io/v1alpha3 request. */
export const V1ALPHA3_WARNING = 'kubevirt.io/v1alpha3 is now deprecated and will be removed in a future release.';

const nameOf = (o: Obj): string => {
  const meta = o.metadata;
  if (!isObj(meta)) return '';
  return typeof meta.name === 'string' ? meta.name : typeof meta.generateName === 'string' ? meta.generateName : '';
};

/** KubeVirt's VMI mutator on create: spec defaults and status.phase Pending; nothing on update (the object itself is returned, uncopied). */
export function defaultVmi(object: Obj, operation: 'CREATE' | 'UPDATE'): Obj {
  if (operation !== 'CREATE') return object;
  const out = clone(object);
  if (!isObj(out.spec)) return out;
  defaultVmiSpec(out.spec, nameOf(out));
  if (out.status === undefined || out.status === null || isObj(out.status)) {
    const status = ensureObj(out, 'status');
    if (status.phase === undefined || status.phase === '') status.phase = 'Pending';
  }
  return out;
}

export const vmiKind: KindInfo = {
  group: 'kubevirt.io',
  versions: ['v1', 'v1alpha3'],
  deprecated: { v1alpha3: V1ALPHA3_WARNING },
  kind: 'VirtualMachineInstance',
  listKind: 'VirtualMachineInstanceList',
  plural: 'virtualmachineinstances',
  singular: 'virtualmachineinstance',
  shortNames: ['vmi', 'vmis'],
  categories: ['all'],
  namespaced: true,
  statusSubresource: true,
  schema: vmiSchema,
  printerColumns: [
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'IP', type: 'string', jsonPath: '.status.interfaces[0].ipAddress' },
    { name: 'NodeName', type: 'string', jsonPath: '.status.nodeName' },
    { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
    { name: 'Live-Migratable', type: 'string', jsonPath: ".status.conditions[?(@.type=='LiveMigratable')].status", priority: 1 },
    { name: 'Paused', type: 'string', jsonPath: ".status.conditions[?(@.type=='Paused')].status", priority: 1 },
  ],
  default: (object, context) => defaultVmi(object, context.operation),
  validate: validateVmi,
};
