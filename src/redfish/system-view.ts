// A VM (and its VMI) read once into the typed view the resource builders take: power, boot
// override, firmware mode, the override targets it has devices for (the virtual CD always), size and NICs with MACs.
import { guestMemoryMiB } from '../resources/device-plan.ts';
import { BOOT_OVERRIDE_ANNOTATION, parseBootOverride, type OverrideTarget } from '../resources/boot-override.ts';
import { firmwareOf } from './firmware.ts';
import { powerState, type VmView } from './power.ts';
import type { SystemView } from './resources.ts';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

export interface VmObject extends VmView {
  metadata: VmView['metadata'] & { name: string; namespace?: string };
}

/** The typed view of a VM for the builders. */
export function systemView(vm: VmObject, vmi: VmView | undefined): SystemView {
  const spec = obj(obj(vm.spec).template).spec;
  const domain = obj(obj(spec).domain);
  const efi = obj(obj(domain.firmware).bootloader).efi !== undefined;
  // Cd always: the BMC's virtual CD can be inserted at any time (virtual-media.ts).
  const targets: OverrideTarget[] = ['None', 'Pxe', 'Hdd', 'Cd'];
  if (efi) targets.push('UefiHttp');
  const cpu = obj(domain.cpu);
  const n = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 1);
  let memoryMiB = 0;
  try {
    memoryMiB = guestMemoryMiB(domain as Parameters<typeof guestMemoryMiB>[0]);
  } catch {
    // A VM whose memory cannot be read still has a BMC; it reports 0.
  }
  const observed = list(obj(vmi?.status).interfaces);
  const nics = list(obj(domain.devices).interfaces).map((i) => {
    const name = String(i.name ?? '');
    const mac = typeof i.macAddress === 'string' && i.macAddress !== '' ? i.macAddress : observed.find((o) => o.name === name)?.mac;
    return { name, ...(typeof mac === 'string' && mac !== '' ? { mac: mac.toLowerCase() } : {}) };
  });
  const uuid = obj(domain.firmware).uuid;
  return {
    uid: vm.metadata.uid,
    name: vm.metadata.name,
    namespace: vm.metadata.namespace ?? 'default',
    power: powerState(vm, vmi),
    override: parseBootOverride(vm.metadata.annotations?.[BOOT_OVERRIDE_ANNOTATION]),
    mode: efi ? 'UEFI' : 'Legacy',
    // The running VMI's firmware is what the guest booted with; the template's is what it will boot with next.
    firmware: firmwareOf(vmi?.spec ?? spec),
    targets,
    cpus: n(cpu.sockets) * n(cpu.cores) * n(cpu.threads),
    memoryGiB: Math.round((memoryMiB / 1024) * 100) / 100,
    uuid: typeof uuid === 'string' && uuid !== '' ? uuid : vm.metadata.uid,
    nics,
  };
}
