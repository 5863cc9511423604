// PATCH of a ComputerSystem, parsed once: only Boot's three override properties are writable;
// every value is checked against what this VM allows before anything is changed.
import { OVERRIDE_ENABLED, type BootOverride, type OverrideEnabled, type OverrideMode, type OverrideTarget } from '../resources/boot-override.ts';
import { RedfishError } from './errors.ts';
import type { SystemView } from './resources.ts';

const BOOT_FIELDS = ['BootSourceOverrideTarget', 'BootSourceOverrideEnabled', 'BootSourceOverrideMode'] as const;
/** Properties the ComputerSystem shows but nobody may write. */
const READ_ONLY = ['@odata.id', '@odata.type', '@odata.context', 'Id', 'Name', 'Description', 'SystemType', 'Manufacturer', 'Model', 'UUID', 'HostName', 'PowerState', 'Status', 'ProcessorSummary', 'MemorySummary', 'EthernetInterfaces', 'Links', 'Actions'];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function pick<T extends string>(body: Record<string, unknown>, field: string, allowed: readonly T[]): T | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new RedfishError('PropertyValueTypeError', [JSON.stringify(v), field], `Boot.${field}: expected a string, one of ${allowed.join(', ')}; found ${JSON.stringify(v)}.`);
  if (!(allowed as readonly string[]).includes(v)) throw new RedfishError('PropertyValueNotInList', [v, field], `Boot.${field}: expected one of ${allowed.join(', ')}; found ${JSON.stringify(v)}.`);
  return v as T;
}

/** The boot override a PATCH body asks for, merged with the current one; throws RedfishError on any bad part. */
export function bootPatch(body: unknown, v: SystemView): BootOverride {
  if (!isObj(body)) throw new RedfishError('MalformedJSON', [], `expected a JSON object, found ${JSON.stringify(body)?.slice(0, 60)}`);
  for (const key of Object.keys(body)) {
    if (key === 'Boot') continue;
    if (READ_ONLY.includes(key)) throw new RedfishError('PropertyNotWritable', [key]);
    throw new RedfishError('PropertyUnknown', [key]);
  }
  const boot = body.Boot;
  if (boot === undefined) return v.override;
  if (!isObj(boot)) throw new RedfishError('PropertyValueTypeError', [JSON.stringify(boot), 'Boot'], `Boot: expected an object, found ${JSON.stringify(boot)}.`);
  for (const key of Object.keys(boot)) {
    if (!(BOOT_FIELDS as readonly string[]).includes(key) && !key.includes('@')) throw new RedfishError('PropertyUnknown', [`Boot/${key}`], `Boot.${key}: pxevirt writes only ${BOOT_FIELDS.join(', ')}.`);
  }
  const target = pick<OverrideTarget>(boot, 'BootSourceOverrideTarget', v.targets);
  const enabled = pick<OverrideEnabled>(boot, 'BootSourceOverrideEnabled', OVERRIDE_ENABLED);
  const mode = pick<OverrideMode>(boot, 'BootSourceOverrideMode', [v.mode]);
  const next: BootOverride = { target: target ?? v.override.target, enabled: enabled ?? v.override.enabled, mode: mode ?? v.mode };
  // A target without an Enabled means the next boot (as BMCs take it); None or Disabled turn it off.
  if (target !== undefined && target !== 'None' && enabled === undefined && next.enabled === 'Disabled') next.enabled = 'Once';
  if (next.target === 'None' || next.enabled === 'Disabled') return { target: 'None', enabled: 'Disabled', mode: next.mode };
  return next;
}
