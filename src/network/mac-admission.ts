// The MAC pool as a mutating admission step, like kubemacpool's webhook: on a write of a
// VirtualMachine or VirtualMachineInstance, every interface without macAddress gets one from
// the pool written into the spec (on update, the MAC the same-named interface had before),
// and a requested MAC that another live object holds is refused. The MACs in use are read
// from the stored objects on each call: a VM's template interfaces (running or not — that is
// what keeps its MACs across stop/start) and the interfaces of VMIs not yet Succeeded/Failed.
// A VMI owned by a VM is the same holder as that VM, so a VM's own VMI never conflicts with it.
import { normalizeMac } from '../lib/mac.ts';
import { CauseType, type Cause } from '../resources/causes.ts';
import { allocateMac, MacPoolExhaustedError, type MacRange } from './mac-pool.ts';
import { isObject as isObj } from '../lib/is-object.ts';

type Obj = Record<string, unknown>;

/** Where the pool's cursor (the last MAC handed out) lives between calls and restarts. */
export interface MacCursorStore {
  load(): string | undefined;
  save(cursor: string): void;
}

/** Who holds each MAC in use (what macsInUse computes; a caller may keep it up to date instead). */
export interface MacHolders {
  get(mac: string): { holder: Holder; iface: string } | undefined;
  has(mac: string): boolean;
  keys(): Iterable<string>;
  readonly size: number;
}

export interface MacAdmissionOptions {
  range: MacRange;
  /** Every stored VirtualMachine and VirtualMachineInstance, read on each admission. */
  objects: () => Iterable<Obj>;
  /** When given, the MACs in use are read from here instead of computed from `objects`. */
  inUse?: () => MacHolders;
  cursor: MacCursorStore;
  /** [0, 1) for the first random start (default Math.random). */
  random?: () => number;
}

export interface MacAdmissionRequest {
  /** The object's kind (`VirtualMachine`, `VirtualMachineInstance`; others pass through). */
  kind: string;
  operation: 'CREATE' | 'UPDATE';
  object: Obj;
  /** The stored object on UPDATE. */
  old?: Obj | undefined;
  /** A dry run gets MACs but does not move the cursor. */
  dryRun?: boolean;
}

export type MacAdmissionResult = { object: Obj } | { webhook: string; causes: Cause[] };

/** The webhook names users of kubemacpool see in `admission webhook "…" denied the request`. */
export const MAC_WEBHOOKS: Readonly<Record<string, string>> = {
  VirtualMachine: 'mutatevirtualmachines.kubemacpool.io',
  VirtualMachineInstance: 'mutatevirtualmachineinstances.kubemacpool.io',
};

const at = (o: unknown, key: string): Obj | undefined => (isObj(o) && isObj(o[key]) ? o[key] : undefined);

/** The interfaces of a VM's template or a VMI, with the path of their list. */
export function interfacesOf(object: Obj, kind: unknown = object.kind): { path: string; list: Obj[] } | undefined {
  const vm = kind === 'VirtualMachine';
  const spec = vm ? at(at(at(object, 'spec'), 'template'), 'spec') : at(object, 'spec');
  const list = at(at(spec, 'domain'), 'devices')?.interfaces;
  if (!Array.isArray(list)) return undefined;
  return { path: `${vm ? 'spec.template.spec' : 'spec'}.domain.devices.interfaces`, list: list.filter(isObj) };
}

export interface Holder {
  /** Same id = same owner of the MACs (a VM and the VMIs it owns). */
  id: string;
  /** What a message names: `VirtualMachineInstance default/a`. */
  label: string;
}

/** Who holds an object's MACs. */
function holderOf(object: Obj, kind: unknown = object.kind): Holder {
  const meta = at(object, 'metadata') ?? {};
  const where = `${typeof meta.namespace === 'string' ? meta.namespace : ''}/${String(meta.name ?? '')}`;
  const label = `${String(kind)} ${where}`;
  if (kind === 'VirtualMachineInstance') {
    const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences.filter(isObj) : [];
    const vm = owners.find((o) => o.kind === 'VirtualMachine' && typeof o.name === 'string');
    if (vm) return { id: `VirtualMachine ${typeof meta.namespace === 'string' ? meta.namespace : ''}/${String(vm.name)}`, label };
  }
  return { id: label, label };
}

const FINISHED = new Set(['Succeeded', 'Failed']);

/** Canonical MAC → who holds it and on which interface, for every live stored object. */
export function macsInUse(objects: Iterable<Obj>): Map<string, { holder: Holder; iface: string }> {
  const out = new Map<string, { holder: Holder; iface: string }>();
  for (const o of objects) {
    if (o.kind === 'VirtualMachineInstance' && FINISHED.has(String(at(o, 'status')?.phase ?? ''))) continue;
    const ifaces = interfacesOf(o);
    if (!ifaces) continue;
    const holder = holderOf(o);
    for (const iface of ifaces.list) {
      const mac = typeof iface.macAddress === 'string' ? normalizeMac(iface.macAddress) : undefined;
      if (mac && !out.has(mac)) out.set(mac, { holder, iface: String(iface.name ?? '') });
    }
  }
  return out;
}

const hasMac = (iface: Obj): boolean => typeof iface.macAddress === 'string' && iface.macAddress !== '';
// Only an absent or empty macAddress is filled in; a value of the wrong type is left to validation.
const lacksMac = (iface: Obj): boolean => iface.macAddress === undefined || iface.macAddress === null || iface.macAddress === '';

/** Creates the admission step; see the file comment for what it does. */
export function createMacAdmission(options: MacAdmissionOptions): (request: MacAdmissionRequest) => MacAdmissionResult {
  return (request) => {
    const webhook = MAC_WEBHOOKS[request.kind];
    if (webhook === undefined) return { object: request.object };
    const given = interfacesOf(request.object, request.kind);
    if (!given || given.list.length === 0) return { object: request.object };
    // A copy only when a MAC is to be written in (a label patch of a VMI writes none).
    const object = given.list.some(lacksMac) ? structuredClone(request.object) : request.object;
    const ifaces = object === request.object ? given : interfacesOf(object, request.kind)!;
    const self = holderOf(object, request.kind);
    const held: MacHolders = options.inUse ? options.inUse() : macsInUse(options.objects());
    // On update an interface keeps the MAC it had (kubectl apply of a manifest without MACs).
    const before = request.old ? interfacesOf(request.old, request.kind)?.list ?? [] : [];
    const hadMacs = new Set(before.flatMap((i) => (typeof i.macAddress === 'string' ? [normalizeMac(i.macAddress) ?? ''] : [])));
    for (const iface of ifaces.list) {
      if (!lacksMac(iface)) continue;
      const prior = before.find((b) => b.name === iface.name && hasMac(b));
      if (prior) iface.macAddress = prior.macAddress;
    }
    const causes: Cause[] = [];
    const mine = new Map<string, string>();
    for (const [i, iface] of ifaces.list.entries()) {
      if (!hasMac(iface)) continue;
      const mac = normalizeMac(String(iface.macAddress));
      if (mac === undefined) continue; // malformed: the kind's validation says so
      const field = `${ifaces.path}[${i}].macAddress`;
      const other = held.get(mac);
      const twin = mine.get(mac);
      if (twin !== undefined) {
        causes.push({ type: CauseType.Duplicate, field, message: `failed to allocate requested mac address ${String(iface.macAddress)}: interface ${twin} of this ${request.kind} already has it` });
      } else if (other && other.holder.id !== self.id && !hadMacs.has(mac)) {
        causes.push({ type: CauseType.Duplicate, field, message: `failed to allocate requested mac address ${String(iface.macAddress)}: already used by ${other.holder.label} (interface ${other.iface})` });
      }
      mine.set(mac, String(iface.name ?? i));
    }
    if (causes.length > 0) return { webhook, causes };
    // Every interface has its MAC (any update of a stored VMI): no set of every MAC in use to build.
    if (!ifaces.list.some(lacksMac)) return { object };
    // A view, not a copy: building a set of every MAC in use cost O(n) per create.
    const added = new Set(mine.keys());
    const inUse = {
      has: (mac: string) => added.has(mac) || held.has(mac),
      get size() {
        return held.size + added.size;
      },
      *[Symbol.iterator]() {
        yield* held.keys();
        yield* added;
      },
    };
    let cursor = options.cursor.load();
    let allocated = false;
    for (const [i, iface] of ifaces.list.entries()) {
      if (!lacksMac(iface)) continue;
      try {
        const r = allocateMac({ range: options.range, inUse, cursor, ...(options.random ? { random: options.random } : {}) });
        iface.macAddress = r.mac;
        added.add(r.mac);
        cursor = r.cursor;
        allocated = true;
      } catch (err) {
        if (!(err instanceof MacPoolExhaustedError)) throw err;
        return { webhook, causes: [{ type: CauseType.Invalid, field: `${ifaces.path}[${i}].macAddress`, message: `failed to allocate a mac address: ${err.message}` }] };
      }
    }
    if (allocated && cursor !== undefined && request.dryRun !== true) options.cursor.save(cursor);
    return { object };
  };
}
