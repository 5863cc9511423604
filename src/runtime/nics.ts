// The guest NICs of a VMI: its interfaces with MACs, models and boot order, and the backends
// (taps in the pod) the networking layer gives them.
import { createHash } from 'node:crypto';
import { normalizeMac } from '../lib/mac.ts';
import type { Pod } from './pod.ts';
import type { ResolvedNic } from './qemu-args.ts';
import type { VmiObject } from './types.ts';

/** Wires a VMI's interfaces to backends in its pod (the networking layer, later): tap per interface name. */
export type NetworkAttacher = (vmi: VmiObject, pod: Pod) => Promise<Array<{ name: string; tap?: string; mac?: string }>>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** A stable locally administered MAC for an interface without macAddress (until the MAC pool exists). */
export function generatedMac(uid: string, name: string): string {
  const h = createHash('sha256').update(`${uid}/${name}`).digest();
  const bytes = [0x02, h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0, h[4] ?? 0];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The NICs for spec.domain.devices.interfaces, in order; MAC from macAddress, the backend, or generated. */
export function nicsFor(vmi: VmiObject, backends: Awaited<ReturnType<NetworkAttacher>>): ResolvedNic[] {
  const devices = isObj(vmi.spec.domain) && isObj(vmi.spec.domain.devices) ? vmi.spec.domain.devices : {};
  return list(devices.interfaces).map((iface, i) => {
    const name = String(iface.name ?? `net${i}`);
    const backend = backends.find((b) => b.name === name);
    const mac = normalizeMac(typeof iface.macAddress === 'string' ? iface.macAddress : (backend?.mac ?? generatedMac(vmi.metadata.uid, name))) ?? generatedMac(vmi.metadata.uid, name);
    const nic: ResolvedNic = { name, mac, model: typeof iface.model === 'string' && iface.model !== '' ? iface.model : 'virtio' };
    if (backend?.tap !== undefined) nic.tap = backend.tap;
    if (typeof iface.bootOrder === 'number') nic.bootOrder = iface.bootOrder;
    return nic;
  });
}
