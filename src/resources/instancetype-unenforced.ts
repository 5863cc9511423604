// What an instancetype or preference asks for that pxevirt carries into the VMI, as KubeVirt
// does, but whose effect its single-host runtime does not produce (no CPU manager, no hugepages,
// no TPM…). The VM still starts — on one developer host a cx1 or windows.11 VM should run — and
// each such field is named once, with what happens instead, in a Warning Event. Pure.
import type { InstancetypeSpec, PreferenceSpec } from './instancetype-schema.ts';

const its = (it: InstancetypeSpec): string[] => {
  const out: string[] = [];
  if (it.cpu.dedicatedCPUPlacement === true) out.push('spec.cpu.dedicatedCPUPlacement (the vCPUs are not pinned to host CPUs: they share them with other processes)');
  if (it.cpu.isolateEmulatorThread === true) out.push("spec.cpu.isolateEmulatorThread (QEMU's emulator thread runs beside the vCPUs)");
  if (it.memory.hugepages !== undefined) out.push(`spec.memory.hugepages (pageSize ${it.memory.hugepages.pageSize ?? ''}: guest memory is ordinary host memory, not hugepages)`);
  if (it.ioThreadsPolicy !== undefined) out.push(`spec.ioThreadsPolicy (${it.ioThreadsPolicy}: disks use QEMU's main loop, no IO threads)`);
  return out;
};

const preferences = (p: PreferenceSpec): string[] => {
  const out: string[] = [];
  const d = p.devices ?? {};
  if (d.preferredTPM !== undefined) out.push('spec.devices.preferredTPM (the guest gets no TPM)');
  if (d.preferredDiskDedicatedIoThread === true) out.push('spec.devices.preferredDiskDedicatedIoThread (disks get no IO thread of their own)');
  if (d.preferredNetworkInterfaceMultiQueue === true) out.push('spec.devices.preferredNetworkInterfaceMultiQueue (NICs have one queue)');
  if (d.preferredBlockMultiQueue === true) out.push('spec.devices.preferredBlockMultiQueue (disks have one queue)');
  if (d.preferredAutoattachInputDevice === true || d.preferredInputType !== undefined) out.push('spec.devices.preferredAutoattachInputDevice/preferredInputType (no tablet is attached)');
  if (p.features?.preferredHyperv !== undefined) out.push('spec.features.preferredHyperv (no Hyper-V enlightenments are given to the guest)');
  if (p.clock?.preferredTimer !== undefined) out.push("spec.clock.preferredTimer (the guest gets QEMU's default timers)");
  if (p.firmware?.preferredEfi?.persistent === true) out.push('spec.firmware.preferredEfi.persistent (EFI variables last as long as the VMI, not the VM)');
  if (p.annotations?.['kubevirt.io/disablePCIHole64'] !== undefined) out.push("spec.annotations kubevirt.io/disablePCIHole64 (the 64-bit PCI hole is QEMU's default)");
  if (p.preferredArchitecture === 's390x') out.push('spec.preferredArchitecture (s390x: pxevirt runs amd64 and arm64 guests only; the VMI is refused at spec.architecture)');
  return out;
};

/** The fields of `it` and `preference` pxevirt keeps in the VMI but does not enforce, each with what happens instead. */
export function unenforcedFields(it: InstancetypeSpec | undefined, preference: PreferenceSpec | undefined): string[] {
  return [...(it ? its(it) : []), ...(preference ? preferences(preference) : [])];
}
