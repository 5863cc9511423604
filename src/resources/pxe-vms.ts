// PXE selection that knows the VMs, pure: which VirtualMachines and VMIs sit on a PXEServer's
// network (and with which MACs), and whether a host entry's vmSelector / vmName picks one.
// The PXEServer controller uses both (the inventory it hands the server, and the matches shown
// in status); the PXE server uses the match when a client asks.
import { normalizeMac } from '../lib/mac.ts';
import { formatLabelSelector, labelsMatch } from './label-selector.ts';
import type { HostSelector, PxeHost, PxeVm } from './pxe-server.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The stored object's parts this module reads. */
export interface VmObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
  status?: unknown;
}

/**
 * The inventory entry of a VirtualMachine or VMI whose interfaces attach to `nad`
 * (`namespace/name`), or undefined when none does. MACs come from the interfaces' macAddress
 * (the MAC pool writes it at admission) and, for a VMI, from status.interfaces.
 */
export function vmOnNetwork(o: VmObject, nad: string): PxeVm | undefined {
  const kind = o.kind === 'VirtualMachine' || o.kind === 'VirtualMachineInstance' ? o.kind : undefined;
  if (!kind) return undefined;
  const namespace = o.metadata.namespace ?? 'default';
  const spec = isObj(o.spec) ? o.spec : {};
  const vmiSpec = kind === 'VirtualMachine' ? (isObj(spec.template) && isObj(spec.template.spec) ? spec.template.spec : {}) : spec;
  const names = new Set(
    list(vmiSpec.networks).flatMap((n) => {
      const networkName = isObj(n.multus) ? str(n.multus.networkName) : undefined;
      if (networkName === undefined || str(n.name) === undefined) return [];
      const ref = networkName.includes('/') ? networkName : `${namespace}/${networkName}`;
      return ref === nad ? [n.name as string] : [];
    }),
  );
  if (names.size === 0) return undefined;
  const domain = isObj(vmiSpec.domain) && isObj(vmiSpec.domain.devices) ? vmiSpec.domain.devices : {};
  const macs = new Set<string>();
  const add = (name: unknown, mac: unknown) => {
    const m = typeof mac === 'string' ? normalizeMac(mac) : undefined;
    if (m !== undefined && typeof name === 'string' && names.has(name)) macs.add(m);
  };
  for (const i of list(domain.interfaces)) add(i.name, i.macAddress);
  if (isObj(o.status)) for (const i of list(o.status.interfaces)) add(i.name, i.mac);
  const labels = o.metadata.labels;
  return { kind, namespace, name: o.metadata.name, ...(labels && Object.keys(labels).length > 0 ? { labels: { ...labels } } : {}), macs: [...macs].sort() };
}

/** True when the selector uses the VMs (vmSelector or vmName). */
export function selectsVms(selector: HostSelector): boolean {
  return selector.vmSelector !== undefined || selector.vmName !== undefined;
}

/** Describes why `vm` satisfies the selector's VM fields (`vm default/a (role=installer)`), or undefined when it does not. */
export function vmMatch(selector: HostSelector, vm: PxeVm): string | undefined {
  if (!selectsVms(selector)) return undefined;
  const parts: string[] = [];
  if (selector.vmName !== undefined) {
    const want = selector.vmName;
    if (want.includes('/') ? want !== `${vm.namespace}/${vm.name}` : want !== vm.name) return undefined;
    parts.push(`vmName ${want}`);
  }
  if (selector.vmSelector !== undefined) {
    if (!labelsMatch(selector.vmSelector, vm.labels)) return undefined;
    parts.push(`vmSelector ${formatLabelSelector(selector.vmSelector)}`);
  }
  return `${parts.join(', ')} (${vm.kind} ${vm.namespace}/${vm.name})`;
}

/** The VMs of the inventory that carry `mac`. */
export function vmsWithMac(vms: readonly PxeVm[] | undefined, mac: string): PxeVm[] {
  const m = normalizeMac(mac);
  return m === undefined ? [] : (vms ?? []).filter((vm) => vm.macs.includes(m));
}

/** One host entry's VM matches, as PXEServer status shows them. */
export interface HostVmMatches {
  host: number;
  image: string;
  /** `VirtualMachine default/a (de:…)` for every VM the entry selects. */
  vms: string[];
}

/** For each host entry that selects by VM: the VMs (with their MACs) it matches now. */
export function hostVmMatches(hosts: readonly PxeHost[], vms: readonly PxeVm[]): HostVmMatches[] {
  return hosts.flatMap((host, index) => {
    if (!selectsVms(host.selector)) return [];
    const matched = vms.filter((vm) => vmMatch(host.selector, vm) !== undefined).map((vm) => `${vm.kind} ${vm.namespace}/${vm.name} (${vm.macs.join(', ') || 'no MAC yet'})`);
    return [{ host: index, image: host.image, vms: matched }];
  });
}
