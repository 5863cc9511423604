// A one-time or continuous boot device override (Redfish Boot.BootSourceOverride*), kept beside
// the VM's own bootOrder, never in it: the VM carries the setting as an annotation, the VMI it
// starts carries a copy, and the device plan puts the target devices first for that VMI only.
// With `Once` the runtime restores the spec's boot order right after QEMU has started, so the
// next reset — one the guest makes itself included — boots as the spec says.
import type { DiskPlan } from './device-plan.ts';
import type { NicPlan } from './nic-plan.ts';

/** The annotation on a VM (the setting) and on the VMI it starts (the copy that boot uses). */
export const BOOT_OVERRIDE_ANNOTATION = 'bmc.pxevirt.io/boot-override';

export const OVERRIDE_TARGETS = ['None', 'Pxe', 'Hdd', 'Cd', 'UefiHttp'] as const;
export const OVERRIDE_ENABLED = ['Disabled', 'Once', 'Continuous'] as const;
export const OVERRIDE_MODES = ['Legacy', 'UEFI'] as const;

export type OverrideTarget = (typeof OVERRIDE_TARGETS)[number];
export type OverrideEnabled = (typeof OVERRIDE_ENABLED)[number];
export type OverrideMode = (typeof OVERRIDE_MODES)[number];

export interface BootOverride {
  target: OverrideTarget;
  enabled: OverrideEnabled;
  mode: OverrideMode;
}

/** What a VM without the annotation reports. */
export const NO_OVERRIDE: BootOverride = { target: 'None', enabled: 'Disabled', mode: 'UEFI' };

const oneOf = <T extends string>(list: readonly T[], v: unknown): v is T => typeof v === 'string' && (list as readonly string[]).includes(v);

/** The override an annotation value holds; NO_OVERRIDE when absent or unreadable (an annotation is user-writable). */
export function parseBootOverride(value: string | undefined): BootOverride {
  if (value === undefined) return NO_OVERRIDE;
  try {
    const o = JSON.parse(value) as Record<string, unknown>;
    if (oneOf(OVERRIDE_TARGETS, o.target) && oneOf(OVERRIDE_ENABLED, o.enabled) && oneOf(OVERRIDE_MODES, o.mode)) return { target: o.target, enabled: o.enabled, mode: o.mode };
  } catch {
    // fall through
  }
  return NO_OVERRIDE;
}

/** The annotation value for an override. */
export function formatBootOverride(o: BootOverride): string {
  return JSON.stringify({ target: o.target, enabled: o.enabled, mode: o.mode });
}

/** Whether an override changes the boot at all. */
export const overrideActive = (o: BootOverride): boolean => o.enabled !== 'Disabled' && o.target !== 'None';

/** The devices an override puts first: NICs for network boots, CD-ROMs or disks for the others. */
function isTarget(target: OverrideTarget, device: { kind: 'nic' } | DiskPlan): boolean {
  if (target === 'Pxe' || target === 'UefiHttp') return device.kind === 'nic';
  if (target === 'Cd') return device.kind === 'cdrom';
  if (target === 'Hdd') return device.kind === 'disk' || device.kind === 'lun';
  return false;
}

/**
 * The disks and NICs with boot orders for this override: the target devices first (in spec
 * order), then the devices the spec gave a boot order, in that order. Pure; unchanged when the
 * override is not active or targets no device of the VMI.
 */
export function applyBootOverride(disks: DiskPlan[], nics: NicPlan[], o: BootOverride): { disks: DiskPlan[]; nics: NicPlan[] } {
  if (!overrideActive(o)) return { disks, nics };
  type Entry = { kind: 'disk' | 'nic'; i: number; first: boolean; spec?: number };
  const entries: Entry[] = [
    ...disks.map((d, i): Entry => ({ kind: 'disk', i, first: isTarget(o.target, d), ...(d.bootOrder !== undefined ? { spec: d.bootOrder } : {}) })),
    ...nics.map((n, i): Entry => ({ kind: 'nic', i, first: isTarget(o.target, { kind: 'nic' }), ...(n.bootOrder !== undefined ? { spec: n.bootOrder } : {}) })),
  ];
  if (!entries.some((e) => e.first)) return { disks, nics };
  const firsts = entries.filter((e) => e.first);
  const rest = entries.filter((e) => !e.first && e.spec !== undefined).sort((a, b) => (a.spec ?? 0) - (b.spec ?? 0));
  const order = new Map<string, number>();
  [...firsts, ...rest].forEach((e, n) => order.set(`${e.kind}${e.i}`, n + 1));
  const withOrder = <T extends { bootOrder?: number }>(d: T, key: string): T => {
    const { bootOrder: _, ...others } = d;
    const n = order.get(key);
    return (n === undefined ? others : { ...others, bootOrder: n }) as T;
  };
  return { disks: disks.map((d, i) => withOrder(d, `disk${i}`)), nics: nics.map((n, i) => withOrder(n, `nic${i}`)) };
}
