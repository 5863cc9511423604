// A preference's `requirements` (minimum vCPUs and memory), checked the way KubeVirt's VM webhook
// does (pkg/instancetype/preference/requirements) on the template after expansion and defaults.
import { CauseType, type Cause } from './causes.ts';
import { parseQuantity, quantityValue } from '../lib/quantity.ts';
import { objAt, type Obj } from './object-path.ts';
import type { InstancetypeSpec, PreferenceSpec } from './instancetype-schema.ts';
import { preferredTopology, spreadOptions } from './preference-apply.ts';

const failure = (field: string, message: string): Cause => ({ type: CauseType.Required, field, message: `failure checking preference requirements: ${message}` });
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const text = (q: unknown): string => (typeof q === 'number' ? String(q) : String(q ?? '0'));

function cpuCause(it: InstancetypeSpec | undefined, need: number, preference: PreferenceSpec, spec: Obj): Cause | undefined {
  if (it) {
    return it.cpu.guest < need ? failure('spec.instancetype', `insufficient CPU resources of ${it.cpu.guest} vCPU provided by instance type, preference requires ${need} vCPU`) : undefined;
  }
  const cpu = objAt(objAt(spec, 'domain'), 'cpu');
  const base = 'spec.template.spec.domain.cpu';
  if (!cpu) return failure(base, `no CPU resources provided by VirtualMachine, preference requires ${need} vCPU`);
  const [sockets, cores, threads] = [num(cpu.sockets), num(cpu.cores), num(cpu.threads)];
  const short = (have: number, as: string, fields: string[]): Cause | undefined =>
    have < need ? failure(fields.map((f) => `${base}.${f}`).join(', '), `insufficient CPU resources of ${have} vCPU provided by VirtualMachine, preference requires ${need} vCPU provided as ${as}`) : undefined;
  switch (preferredTopology(preference)) {
    case 'threads':
    case 'preferThreads':
      return short(threads, 'threads', ['threads']);
    case 'cores':
    case 'preferCores':
      return short(cores, 'cores', ['cores']);
    case 'spread':
    case 'preferSpread': {
      const { across } = spreadOptions(preference);
      if (across === 'CoresThreads') return short(cores * threads, across, ['cores', 'threads']);
      if (across === 'SocketsCoresThreads') return short(sockets * cores * threads, across, ['sockets', 'cores', 'threads']);
      return short(sockets * cores, across, ['sockets', 'cores']);
    }
    case 'any':
    case 'preferAny':
      return short(sockets * cores * threads, 'cores, sockets and threads', ['cores', 'sockets', 'threads']);
    default:
      return short(sockets, 'sockets', ['sockets']);
  }
}

/** The requirement the VM does not meet (at most one, as KubeVirt reports); `spec` is the expanded, defaulted template spec. */
export function requirementCauses(it: InstancetypeSpec | undefined, preference: PreferenceSpec | undefined, spec: Obj): Cause[] {
  const req = preference?.requirements;
  if (!preference || !req) return [];
  if (req.cpu) {
    const cause = cpuCause(it, req.cpu.guest, preference, spec);
    if (cause) return [cause];
  }
  if (req.memory) {
    const guest = objAt(objAt(spec, 'domain'), 'memory')?.guest ?? (it ? it.memory.guest : '0Mi');
    const have = parseQuantity(guest);
    const need = parseQuantity(req.memory.guest);
    if (have && need && quantityValue(have) < quantityValue(need)) {
      const field = it ? 'spec.instancetype' : 'spec.template.spec.domain.memory';
      return [failure(field, `insufficient Memory resources of ${text(guest)} provided by ${it ? 'instance type' : 'VirtualMachine'}, preference requires ${text(req.memory.guest)}`)];
    }
  }
  if (req.architecture && spec.architecture !== req.architecture) {
    return [failure('spec.template.spec.architecture', `preference requires architecture ${req.architecture} but ${String(spec.architecture ?? '')} is being requested`)];
  }
  return [];
}
