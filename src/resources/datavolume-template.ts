// A VirtualMachine's spec.dataVolumeTemplates: checked like DataVolumes at admission, and made
// into the DataVolumes the VM owns (KubeVirt's VM controller creates them with the VM as
// controller owner; they are deleted with it).
import { CauseType, join, type Cause } from './causes.ts';
import { dataVolumeSpecCauses } from './datavolume-spec.ts';
import { dns1123SubdomainErrors } from './names.ts';
import { isObj, listAt, type Obj } from './object-path.ts';

/** Admission of spec.dataVolumeTemplates: a name each (unique), and a valid DataVolume spec. */
export function dataVolumeTemplateCauses(vmSpec: Obj): Cause[] {
  const causes: Cause[] = [];
  const seen = new Set<string>();
  listAt(vmSpec, 'dataVolumeTemplates').forEach((template, i) => {
    const at = join('spec.dataVolumeTemplates', i);
    const name = isObj(template.metadata) ? template.metadata.name : undefined;
    if (typeof name !== 'string' || name === '') causes.push({ type: CauseType.Required, field: join(at, 'metadata.name'), message: 'Required value: a DataVolume name' });
    else {
      for (const m of dns1123SubdomainErrors(name)) causes.push({ type: CauseType.Invalid, field: join(at, 'metadata.name'), message: m });
      if (seen.has(name)) causes.push({ type: CauseType.Duplicate, field: join(at, 'metadata.name'), message: `Duplicate value: ${JSON.stringify(name)}` });
      seen.add(name);
    }
    causes.push(...dataVolumeSpecCauses(isObj(template.spec) ? template.spec : undefined, join(at, 'spec')));
  });
  return causes;
}

interface VmRef {
  apiVersion?: unknown;
  metadata: { name: string; namespace?: string; uid: string };
  spec?: Record<string, unknown>;
}

/** The DataVolumes a VM's templates describe, owned by the VM (controller: true). */
export function dataVolumesOfVm(vm: VmRef): Obj[] {
  const apiVersion = typeof vm.apiVersion === 'string' && vm.apiVersion.startsWith('kubevirt.io/') ? vm.apiVersion : 'kubevirt.io/v1';
  return listAt(vm.spec, 'dataVolumeTemplates').map((template) => {
    const tm = isObj(template.metadata) ? template.metadata : {};
    return {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: {
        name: tm.name,
        ...(vm.metadata.namespace ? { namespace: vm.metadata.namespace } : {}),
        ...(isObj(tm.labels) ? { labels: { ...tm.labels } } : {}),
        ...(isObj(tm.annotations) ? { annotations: { ...tm.annotations } } : {}),
        ownerReferences: [{ apiVersion, kind: 'VirtualMachine', name: vm.metadata.name, uid: vm.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(template.spec ?? {}),
    };
  });
}
