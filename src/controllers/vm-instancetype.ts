// The VMI a VM starts, with its instancetype and preference expanded (KubeVirt's VM controller
// applies them when it creates the VMI) and KubeVirt's name annotations on it. Pure.
import type { NewObject } from '../store/types.ts';
import { expandInstancetype } from '../resources/instancetype-apply.ts';
import type { InstancetypeSpec, PreferenceSpec } from '../resources/instancetype-schema.ts';
import { matcherKind, type Matcher } from '../resources/instancetype-matcher.ts';
import type { ControllerEvent } from './reconciler.ts';

/** What the controller found for a VM's matchers: the specs, or why it could not. */
export type VmTypes = { instancetype?: InstancetypeSpec; preference?: PreferenceSpec } | { error: { reason: string; message: string } };

/** How often a VM whose instancetype or preference cannot be used is looked at again. */
export const TYPES_RETRY_SECONDS = 10;

const NAME_ANNOTATIONS = {
  VirtualMachineInstancetype: 'kubevirt.io/instancetype-name',
  VirtualMachineClusterInstancetype: 'kubevirt.io/cluster-instancetype-name',
  VirtualMachinePreference: 'kubevirt.io/preference-name',
  VirtualMachineClusterPreference: 'kubevirt.io/cluster-preference-name',
} as const;

/**
 * Expands `types` into `vmi` (built from the VM's template). Returns the VMI to create, or none
 * with the Warning that says why; GPUs and other fields pxevirt leaves out, and fields it keeps
 * but does not enforce (dedicated CPUs, hugepages, TPM…), are named in Warnings.
 */
export function expandVmi(vmi: NewObject, vmSpec: Record<string, unknown> | undefined, types: VmTypes | undefined): { vmi?: NewObject; events: ControllerEvent[] } {
  if (!types) return { vmi, events: [] };
  if ('error' in types) return { events: [{ type: 'Warning', reason: types.error.reason, message: types.error.message }] };
  if (!types.instancetype && !types.preference) return { vmi, events: [] };
  const annotations = { ...(vmi.metadata.annotations ?? {}) };
  const out = expandInstancetype('spec.template.spec', (vmi.spec ?? {}) as Record<string, unknown>, annotations, types.instancetype, types.preference);
  if (out.conflicts.length > 0) {
    return { events: [{ type: 'Warning', reason: 'FailedCreate', message: out.conflicts.map((c) => c.message).join(', ') }] };
  }
  for (const field of ['instancetype', 'preference'] as const) {
    const m = vmSpec?.[field] as Matcher | undefined;
    const kind = m?.name ? matcherKind(field, m) : undefined;
    if (m?.name && kind) out.annotations[NAME_ANNOTATIONS[kind as keyof typeof NAME_ANNOTATIONS]] = m.name;
  }
  const events: ControllerEvent[] = [];
  if (out.leftOut.length > 0) events.push({ type: 'Warning', reason: 'InstancetypeFieldsLeftOut', message: `pxevirt left out of the VMI: ${out.leftOut.join('; ')}` });
  if (out.notEnforced.length > 0) {
    events.push({ type: 'Warning', reason: 'InstancetypeFieldsNotEnforced', message: `in the VMI but not enforced by pxevirt: ${out.notEnforced.join('; ')}` });
  }
  return { vmi: { ...vmi, metadata: { ...vmi.metadata, annotations: out.annotations }, spec: out.spec }, events };
}
