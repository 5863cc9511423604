// Wires the MAC pool (src/network/mac-admission.ts) into the API as its mutating admission
// step: the MACs in use come from the store's VMs and VMIs, the cursor lives in
// `<data dir>/mac-pool.json`. The VMs and VMIs are followed through a store watch and their
// MACs kept in a map updated per change, so an admission costs no list and no parse of every
// stored VMI (with 10,000 VMIs that was most of a write's time).
import { join } from 'node:path';
import type { Mutator } from '../api/admission.ts';
import { createMacAdmission, macsInUse, type MacHolders } from '../network/mac-admission.ts';

/** One object's hold on a MAC: the holder's id, the object's id (the holder's label), the interface name. */
interface Holding {
  readonly holder: string;
  readonly object: string;
  readonly iface: string;
}
import { macCursorFile, MAC_CURSOR_FILE } from '../network/mac-cursor-file.ts';
import { DEFAULT_MAC_RANGE, parseMacRange } from '../network/mac-pool.ts';
import type { ObjectStore } from '../store/types.ts';
import { VM_KEY, VMI_KEY } from '../controllers/controller.ts';

type Obj = Record<string, unknown>;

/** The API's mutator for the MAC pool; throws MacRangeError (field macRange) for a bad range. */
export function macPoolMutator(options: { store: ObjectStore; dataDir: string; range?: string | undefined; signal?: AbortSignal }): Mutator & { close(): void } {
  const range = parseMacRange(options.range ?? DEFAULT_MAC_RANGE, 'macRange');
  // The MACs in use, kept up to date per object: an admission reads them in O(1) per MAC.
  // Compact, as it holds an entry per stored VM and VMI: per MAC the holder's id, the object's
  // id (the holder's label) and the interface name, strings shared with the object's key.
  const byObject = new Map<string, string[]>();
  const byMac = new Map<string, Holding | Holding[]>();
  const interned = new Map<string, string>();
  const intern = (text: string) => interned.get(text) ?? (interned.size < 10_000 ? (interned.set(text, text), text) : text);
  const first = (h: Holding | Holding[]): Holding | undefined => (Array.isArray(h) ? h[0] : h);
  const holders: MacHolders = {
    get: (mac) => {
      const h = byMac.get(mac);
      const one = h && first(h);
      return one && { holder: { id: one.holder, label: one.object }, iface: one.iface };
    },
    has: (mac) => byMac.has(mac),
    keys: () => byMac.keys(),
    get size() {
      return byMac.size;
    },
  };
  const forget = (id: string) => {
    for (const mac of byObject.get(id) ?? []) {
      const h = byMac.get(mac);
      if (!h) continue;
      const rest = (Array.isArray(h) ? h : [h]).filter((x) => x.object !== id);
      if (rest.length === 0) byMac.delete(mac);
      else byMac.set(mac, rest.length === 1 ? rest[0]! : rest);
    }
    byObject.delete(id);
  };
  const sameHoldings = (id: string, entries: ReturnType<typeof macsInUse>): boolean => {
    const macs = byObject.get(id) ?? [];
    if (macs.length !== entries.size) return false;
    for (const mac of macs) {
      const entry = entries.get(mac);
      const h = byMac.get(mac);
      const mine = h === undefined ? undefined : Array.isArray(h) ? h.find((x) => x.object === id) : h.object === id ? h : undefined;
      if (!entry || !mine || mine.iface !== entry.iface || mine.holder !== (entry.holder.id === id ? id : entry.holder.id)) return false;
    }
    return true;
  };
  const signal = options.signal ?? new AbortController().signal;
  for (const key of [VM_KEY, VMI_KEY]) {
    options.store.watch(key, {}, (event) => {
      const id = `${event.object.kind} ${event.object.metadata.namespace ?? ''}/${event.object.metadata.name}`;
      if (event.type === 'DELETED') return forget(id);
      const entries = macsInUse([event.object as unknown as Obj]);
      // Most changes (labels, status) leave the MACs as they were: nothing to redo.
      if (sameHoldings(id, entries)) return;
      forget(id);
      if (entries.size === 0) return;
      byObject.set(id, [...entries.keys()]);
      for (const [mac, entry] of entries) {
        const holding: Holding = { holder: entry.holder.id === id ? id : entry.holder.id, object: id, iface: intern(entry.iface) };
        const h = byMac.get(mac);
        byMac.set(mac, h === undefined ? holding : [...(Array.isArray(h) ? h : [h]), holding]);
      }
    }, signal);
  }
  // Written ahead (a reservation per 1,024 MACs), not per MAC; close() writes the exact cursor.
  const cursor = macCursorFile(join(options.dataDir, MAC_CURSOR_FILE), { range });
  const admission = createMacAdmission({
    range,
    // Read through `inUse`, kept up to date above; no object is listed per admission.
    objects: () => [],
    inUse: () => holders,
    cursor,
  });
  const mutator: Mutator = (request) => {
    if (request.kind.group !== 'kubevirt.io') return request.object;
    const r = admission({ kind: request.kind.kind, operation: request.operation, object: request.object, old: request.old, dryRun: request.dryRun });
    return 'object' in r ? r.object : r;
  };
  return Object.assign(mutator, { close: () => cursor.close() });
}
