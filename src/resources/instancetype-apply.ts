// Expansion of an instancetype and a preference into a VMI spec, as KubeVirt's
// pkg/instancetype/apply does it: the instancetype's fields must not be set by the VM
// (each one it sets is a conflict, refused with KubeVirt's message), then the preference fills
// what the VM left unset. Pure: works on a copy of the template and reports what it left out.
import { CauseType, type Cause } from './causes.ts';
import { parseQuantity, quantityValue } from '../lib/quantity.ts';
import { clone, ensureObj, isObj, objAt, type Obj } from './object-path.ts';
import type { InstancetypeSpec, PreferenceSpec } from './instancetype-schema.ts';
import { applyPreference, preferredTopology, spreadOptions } from './preference-apply.ts';
import { unenforcedFields } from './instancetype-unenforced.ts';

/** What expansion produced: the VMI spec and annotations, KubeVirt's conflicts, and what pxevirt left out. */
export interface Expansion {
  spec: Obj;
  annotations: Record<string, string>;
  /** Non-empty: the VM may not use this instancetype (admission refuses it). */
  conflicts: Cause[];
  /** Fields of the instancetype or preference pxevirt does not carry into the VMI, each said once. */
  leftOut: string[];
  /** Fields carried into the VMI (as KubeVirt does) whose effect pxevirt's runtime does not produce. */
  notEnforced: string[];
}

/** KubeVirt's conflict text: `VM field(s) <path> conflicts with selected instance type`. */
export function conflictCause(path: string, message?: string): Cause {
  return { type: CauseType.Invalid, field: path, message: message ?? `VM field(s) ${path} conflicts with selected instance type` };
}

const isSet = (v: unknown): boolean => v !== undefined && v !== null;
const nonZero = (v: unknown): boolean => isSet(v) && v !== 0;

function cpuConflicts(base: string, it: InstancetypeSpec, domain: Obj): Cause[] {
  const cpu = objAt(domain, 'cpu') ?? {};
  const res = objAt(domain, 'resources');
  const out: string[] = [];
  if (isSet(objAt(res, 'requests')?.cpu)) out.push('domain.resources.requests.cpu');
  if (isSet(objAt(res, 'limits')?.cpu)) out.push('domain.resources.limits.cpu');
  for (const k of ['sockets', 'cores', 'threads']) if (nonZero(cpu[k])) out.push(`domain.cpu.${k}`);
  if (isSet(cpu.model) && cpu.model !== '' && isSet(it.cpu.model)) out.push('domain.cpu.model');
  if (cpu.dedicatedCpuPlacement === true && isSet(it.cpu.dedicatedCPUPlacement)) out.push('domain.cpu.dedicatedCPUPlacement');
  if (cpu.isolateEmulatorThread === true && isSet(it.cpu.isolateEmulatorThread)) out.push('domain.cpu.isolateEmulatorThread');
  if (isSet(cpu.numa) && isSet(it.cpu.numa)) out.push('domain.cpu.numa');
  if (isSet(cpu.realtime) && isSet(it.cpu.realtime)) out.push('domain.cpu.realtime');
  return out.map((p) => conflictCause(`${base}.${p}`));
}

/** Memory: KubeVirt reports only the first memory conflict. */
function memoryConflict(base: string, it: InstancetypeSpec, domain: Obj): Cause[] {
  const memory = objAt(domain, 'memory') ?? {};
  const res = objAt(domain, 'resources');
  const first =
    isSet(memory.guest) ? 'domain.memory.guest'
    : isSet(memory.hugepages) && isSet(it.memory.hugepages) ? 'domain.memory.hugepages'
    : isSet(memory.maxGuest) && isSet(it.memory.maxGuest) ? 'domain.memory.maxGuest'
    : isSet(objAt(res, 'requests')?.memory) ? 'domain.resources.requests.memory'
    : isSet(objAt(res, 'limits')?.memory) ? 'domain.resources.limits.memory'
    : undefined;
  return first ? [conflictCause(`${base}.${first}`)] : [];
}

/** vCPUs → sockets/cores/threads by the preferred topology (KubeVirt's applyGuestCPUTopology). */
export function guestTopology(vcpus: number, preference: PreferenceSpec | undefined): { sockets: number; cores: number; threads: number } {
  const t = { sockets: 1, cores: 1, threads: 1 };
  if (vcpus === 1) return t;
  switch (preferredTopology(preference)) {
    case 'cores':
    case 'preferCores':
      return { ...t, cores: vcpus };
    case 'threads':
    case 'preferThreads':
      return { ...t, threads: vcpus };
    case 'spread':
    case 'preferSpread': {
      const { ratio, across } = spreadOptions(preference);
      if (across === 'CoresThreads') return { sockets: 1, threads: ratio, cores: Math.trunc(vcpus / ratio) };
      if (across === 'SocketsCoresThreads') return { threads: 2, cores: ratio, sockets: Math.trunc(vcpus / 2 / ratio) };
      return { threads: 1, cores: ratio, sockets: Math.trunc(vcpus / ratio) };
    }
    default:
      return { ...t, sockets: vcpus };
  }
}

/** KubeVirt's CheckSpreadCPUTopology: the vCPUs must divide by the spread ratio (and 2 threads). */
export function spreadConflict(it: InstancetypeSpec | undefined, preference: PreferenceSpec | undefined): Cause | undefined {
  const topology = preferredTopology(preference);
  if (!it || (topology !== 'spread' && topology !== 'preferSpread')) return undefined;
  const { ratio, across } = spreadOptions(preference);
  const guest = it.cpu.guest;
  const field = 'instancetype.spec.cpu.guest';
  if (across === 'SocketsCores' && guest % ratio > 0) {
    return conflictCause(field, `${guest} vCPUs provided by the instance type are not divisible by the Spec.PreferSpreadSocketToCoreRatio or Spec.CPU.PreferSpreadOptions.Ratio of ${ratio} provided by the preference`);
  }
  if (across === 'CoresThreads' && guest % ratio > 0) return conflictCause(field, `${guest} vCPUs provided by the instance type are not divisible by the number of threads per core ${ratio}`);
  if (across === 'SocketsCoresThreads' && (guest % 2 > 0 || Math.trunc(guest / 2) % ratio > 0)) {
    return conflictCause(field, `${guest} vCPUs provided by the instance type are not divisible by the number of threads per core 2 and Spec.PreferSpreadSocketToCoreRatio or Spec.CPU.PreferSpreadOptions.Ratio of ${ratio}`);
  }
  return undefined;
}

/** Bytes as a Kubernetes quantity in binary SI when exact (`1Gi`), else plain bytes. */
export function binaryQuantity(bytes: number): string {
  for (const [suffix, unit] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

function applyInstancetype(base: string, it: InstancetypeSpec, preference: PreferenceSpec | undefined, spec: Obj, annotations: Record<string, string>, leftOut: string[]): Cause[] {
  const domain = ensureObj(spec, 'domain');
  const conflicts: Cause[] = [];
  if (it.nodeSelector && isSet(spec.nodeSelector)) conflicts.push(conflictCause(`${base}.nodeSelector`));
  if (it.schedulerName && isSet(spec.schedulerName) && spec.schedulerName !== '') conflicts.push(conflictCause(`${base}.schedulerName`));
  conflicts.push(...cpuConflicts(base, it, domain), ...memoryConflict(base, it, domain));
  if (it.ioThreadsPolicy !== undefined && isSet(domain.ioThreadsPolicy)) conflicts.push(conflictCause(`${base}.domain.ioThreadsPolicy`));
  if (isSet(it.launchSecurity) && isSet(domain.launchSecurity)) conflicts.push(conflictCause(`${base}.domain.launchSecurity`));
  const devices = objAt(domain, 'devices');
  if ((it.gpus?.length ?? 0) > 0 && Array.isArray(devices?.gpus) && devices.gpus.length > 0) conflicts.push(conflictCause(`${base}.domain.devices.gpus`));
  if ((it.hostDevices?.length ?? 0) > 0 && Array.isArray(devices?.hostDevices) && devices.hostDevices.length > 0) conflicts.push(conflictCause(`${base}.domain.devices.hostDevices`));
  for (const [key, value] of Object.entries(it.annotations ?? {})) {
    if (annotations[key] !== undefined && annotations[key] !== value) conflicts.push(conflictCause(`annotations.${key}`));
  }
  if (conflicts.length > 0) return conflicts;

  if (it.nodeSelector) spec.nodeSelector = { ...it.nodeSelector };
  if (it.schedulerName) spec.schedulerName = it.schedulerName;
  const cpu = ensureObj(domain, 'cpu');
  if (it.cpu.model !== undefined) cpu.model = it.cpu.model;
  if (it.cpu.dedicatedCPUPlacement !== undefined) cpu.dedicatedCpuPlacement = it.cpu.dedicatedCPUPlacement;
  if (it.cpu.isolateEmulatorThread !== undefined) cpu.isolateEmulatorThread = it.cpu.isolateEmulatorThread;
  if (it.cpu.numa !== undefined) leftOut.push('spec.cpu.numa (pxevirt gives the guest no NUMA topology)');
  if (it.cpu.realtime !== undefined) leftOut.push('spec.cpu.realtime (pxevirt does not tune for realtime)');
  if (it.cpu.maxSockets !== undefined) cpu.maxSockets = it.cpu.maxSockets;
  Object.assign(cpu, guestTopology(it.cpu.guest, preference));

  const memory = ensureObj(domain, 'memory');
  memory.guest = clone(it.memory.guest);
  const percent = it.memory.overcommitPercent ?? 0;
  const guest = parseQuantity(it.memory.guest);
  if (percent > 0 && guest) {
    const requests = ensureObj(ensureObj(domain, 'resources'), 'requests');
    requests.memory = binaryQuantity(Math.trunc(quantityValue(guest) * (1 - percent / 100)));
  }
  if (it.memory.hugepages !== undefined) memory.hugepages = clone(it.memory.hugepages);
  if (it.memory.maxGuest !== undefined) memory.maxGuest = clone(it.memory.maxGuest);
  if (it.ioThreadsPolicy !== undefined) domain.ioThreadsPolicy = it.ioThreadsPolicy;
  if (it.ioThreads?.supplementalPoolThreadCount !== undefined) leftOut.push('spec.ioThreads (pxevirt runs no supplemental IO thread pool)');
  if (isSet(it.launchSecurity)) leftOut.push('spec.launchSecurity (pxevirt starts no confidential guests)');
  if ((it.gpus?.length ?? 0) > 0) leftOut.push(`spec.gpus (${it.gpus?.length} GPU(s): pxevirt passes no GPUs through)`);
  if ((it.hostDevices?.length ?? 0) > 0) leftOut.push(`spec.hostDevices (${it.hostDevices?.length} device(s): pxevirt passes no host devices through)`);
  for (const [key, value] of Object.entries(it.annotations ?? {})) annotations[key] ??= value;
  return [];
}

/**
 * Applies the instancetype and then the preference to a copy of `templateSpec` (KubeVirt's
 * ApplyToVMI); `base` is the path conflicts are reported at (`spec.template.spec`).
 */
export function expandInstancetype(base: string, templateSpec: Obj, templateAnnotations: Record<string, string>, it: InstancetypeSpec | undefined, preference: PreferenceSpec | undefined): Expansion {
  const spec = clone(templateSpec);
  const annotations = { ...templateAnnotations };
  const leftOut: string[] = [];
  const spread = spreadConflict(it, preference);
  if (spread) return { spec, annotations, conflicts: [spread], leftOut, notEnforced: [] };
  if (it) {
    const conflicts = applyInstancetype(base, it, preference, spec, annotations, leftOut);
    if (conflicts.length > 0) return { spec, annotations, conflicts, leftOut, notEnforced: [] };
  }
  if (preference) leftOut.push(...applyPreference(preference, spec, annotations));
  return { spec, annotations, conflicts: [], leftOut, notEnforced: unenforcedFields(it, preference) };
}

/** Whether an object is a usable spec (the stored kinds passed admission; a revision's data may not have). */
export const specOf = (object: unknown): Obj | undefined => (isObj(object) && isObj(object.spec) ? object.spec : undefined);
