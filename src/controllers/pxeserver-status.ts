// PXEServer status, pure: what the controller knows (ready or why not, the pod's address)
// plus the server's own /status document (leases, per-MAC timelines, transfers) → the
// object's status, in the shape documented in the kind's schema (pxe-server-kind.ts).

import { isObject as isObj } from '../lib/is-object.ts';
import type { ControllerEvent } from './reconciler.ts';
import type { HostVmMatches } from '../resources/pxe-vms.ts';
import { withBmcActions, type BmcAction } from './pxe-bmc-actions.ts';

export type PxeServerPhase = 'Pending' | 'Running' | 'Failed' | 'Terminating';

/** Ready's reasons (False unless Serving). */
export const PxeReason = {
  Serving: 'Serving',
  Starting: 'Starting',
  NetworkNotFound: 'NetworkNotFound',
  NetworkAttachFailed: 'NetworkAttachFailed',
  AddressFailed: 'AddressFailed',
  ImageDownloadFailed: 'ImageDownloadFailed',
  ServerStartFailed: 'ServerStartFailed',
  ServerExited: 'ServerExited',
  Terminating: 'Terminating',
} as const;
export type PxeReason = (typeof PxeReason)[keyof typeof PxeReason];

/** What the controller observed about one PXEServer. */
export interface PxeServerObservation {
  phase: PxeServerPhase;
  reason: PxeReason;
  message: string;
  generation: number;
  address?: string;
  interface?: string;
  mac?: string;
  netns?: string;
  /** The server's /status document, when it answered. */
  server?: unknown;
  /** For each host entry that selects by VM, the VMs it matches now. */
  vmMatches?: readonly HostVmMatches[];
  /** The BMC actions on the VMs on the server's network (pxe-bmc-actions.ts), for the timelines. */
  bmc?: readonly BmcAction[] | undefined;
}

export interface StatusLimits {
  /** Hosts kept in status.boots (most recently active first). */
  hosts: number;
  /** Events kept per host (newest). */
  eventsPerHost: number;
}

export const DEFAULT_LIMITS: StatusLimits = { hosts: 20, eventsPerHost: 30 };

/** Hosts kept in status.hosts (the install state; most recently changed first). */
export const MAX_INSTALL_HOSTS = 200;

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : undefined);

/** Drops undefined fields (status objects stay comparable and schema-clean). */
function compact<T extends Obj>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** One timeline event, reduced to the documented fields. */
export function bootEventOf(e: unknown): Obj | undefined {
  if (!isObj(e)) return undefined;
  const proto = str(e.proto);
  const event = str(e.event);
  const time = str(e.time);
  if (!proto || !event || !time) return undefined;
  const message = str(e.reason) ?? str(e.message) ?? str(e.error);
  return compact({
    time,
    proto,
    event,
    ip: str(e.ip),
    file: str(e.file) ?? str(e.path),
    size: int(e.size),
    bytes: int(e.bytes),
    ms: int(e.ms),
    status: int(e.status),
    image: str(e.image),
    arch: str(e.arch),
    message,
  });
}

/** Leases, boot timelines, install state and transfers from the server's /status document. */
export function serverStatusFields(doc: unknown, now: Date, limits: StatusLimits = DEFAULT_LIMITS, bmc: readonly BmcAction[] = []): { leases: Obj[]; boots: Obj[]; hosts: Obj[]; transfers: Obj[] } {
  const d = isObj(doc) ? doc : {};
  const leases = (Array.isArray(d.leases) ? d.leases : [])
    .filter(isObj)
    .filter((l) => l.expired !== true && (str(l.expiresAt) === undefined || Date.parse(str(l.expiresAt) as string) > now.getTime()))
    .map((l) => compact({ mac: str(l.mac), ip: str(l.ip), hostname: str(l.hostname), state: str(l.state), expiresAt: str(l.expiresAt) }))
    .filter((l) => l.mac !== undefined && l.ip !== undefined)
    .sort((a, b) => ipKey(a.ip as string) - ipKey(b.ip as string));
  const timelines = isObj(d.timelines) ? d.timelines : {};
  const gapsOf = (mac: string) => {
    const list = isObj(d.gaps) && Array.isArray(d.gaps[mac]) ? (d.gaps[mac] as unknown[]) : [];
    const gaps = list.filter(isObj).map((g) => compact({ from: str(g.from), to: str(g.to), seconds: typeof g.seconds === 'number' ? g.seconds : undefined, cause: str(g.cause), likely: str(g.likely) }));
    return gaps.length ? gaps.slice(-limits.eventsPerHost) : undefined;
  };
  // The server lists hosts least recently active first.
  const boots = Object.entries(timelines)
    .reverse()
    .slice(0, limits.hosts)
    .map(([mac, list]) => {
      const events = (Array.isArray(list) ? list : []).map(bootEventOf).filter((e): e is Obj => e !== undefined);
      const kept = withBmcActions(events, mac, bmc, limits.eventsPerHost);
      const ip = [...events].reverse().find((e) => e.ip !== undefined && e.proto === 'dhcp')?.ip ?? [...events].reverse().find((e) => e.ip !== undefined)?.ip;
      const image = [...events].reverse().find((e) => e.image !== undefined)?.image;
      return compact({ mac, ip, image, lastSeen: events.at(-1)?.time, events: kept, gaps: gapsOf(mac) });
    });
  const transfers = (Array.isArray(d.transfers) ? d.transfers : [])
    .filter(isObj)
    .map((t) => compact({ proto: str(t.proto), file: str(t.file), ip: str(t.ip), mac: str(t.mac), size: int(t.size), bytes: int(t.bytes) ?? 0, startedAt: str(t.startedAt) }))
    .filter((t) => t.proto !== undefined && t.file !== undefined);
  const hosts = (Array.isArray(d.hosts) ? d.hosts : [])
    .filter(isObj)
    .map((h) => compact({ mac: str(h.mac), state: str(h.state), image: str(h.image), installStartedAt: str(h.installStartedAt), provisionedAt: str(h.provisionedAt), lastLocalBootAt: str(h.lastLocalBootAt) }))
    .filter((h) => h.mac !== undefined && (h.state === 'Installing' || h.state === 'Provisioned'))
    .slice(0, MAX_INSTALL_HOSTS);
  return { leases, boots, hosts, transfers };
}

function ipKey(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + (Number(p) || 0), 0);
}

/** The LeasesRecovered condition from the server's /status (`dhcp.leasesRecovered`), if it recovered. */
export function leasesRecoveredCondition(doc: unknown): Obj | undefined {
  const r = isObj(doc) && isObj(doc.dhcp) && isObj(doc.dhcp.leasesRecovered) ? doc.dhcp.leasesRecovered : undefined;
  const reason = str(r?.reason);
  if (!r || (reason !== 'LeasesFileCorrupt' && reason !== 'LeasesFileEmpty')) return undefined;
  const at = str(r.at);
  return { type: 'LeasesRecovered', status: 'True', reason, message: str(r.message) ?? 'the lease file was unusable; started with no leases', lastTransitionTime: (at ?? new Date(0).toISOString()).replace(/\.\d{3}Z$/, 'Z') };
}

/** A Warning event the first time a status shows this recovery (not once per status read). */
export function leasesRecoveredEvent(previous: unknown, doc: unknown): ControllerEvent | undefined {
  const c = leasesRecoveredCondition(doc);
  if (!c) return undefined;
  const prev = isObj(previous) && Array.isArray(previous.conditions) ? previous.conditions.filter(isObj).find((p) => p.type === 'LeasesRecovered') : undefined;
  if (prev && prev.lastTransitionTime === c.lastTransitionTime) return undefined;
  return { type: 'Warning', reason: c.reason as string, message: c.message as string };
}

/**
 * The new status: phase, the Ready condition (its lastTransitionTime kept while its status
 * does not change), the pod's address and the server's fields (the previous ones kept when
 * the server did not answer this time, dropped when it is not running).
 */
export function pxeServerStatus(previous: unknown, obs: PxeServerObservation, now: Date, limits: StatusLimits = DEFAULT_LIMITS): Obj {
  const prev = isObj(previous) ? previous : {};
  const ready = obs.reason === PxeReason.Serving ? 'True' : 'False';
  const prevReady = (Array.isArray(prev.conditions) ? prev.conditions : []).filter(isObj).find((c) => c.type === 'Ready');
  const lastTransitionTime = prevReady?.status === ready && typeof prevReady.lastTransitionTime === 'string' ? prevReady.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const condition = { type: 'Ready', status: ready, reason: obs.reason, message: obs.message, lastTransitionTime };
  let fields: Obj = {};
  let recovered: Obj | undefined;
  if (obs.server !== undefined) {
    fields = serverStatusFields(obs.server, now, limits, obs.bmc);
    recovered = leasesRecoveredCondition(obs.server);
  } else if (obs.phase === 'Running') {
    fields = compact({ leases: prev.leases, boots: prev.boots, hosts: prev.hosts, transfers: prev.transfers });
    recovered = (Array.isArray(prev.conditions) ? prev.conditions : []).filter(isObj).find((c) => c.type === 'LeasesRecovered');
  }
  return compact({
    phase: obs.phase,
    conditions: recovered ? [condition, recovered] : [condition],
    address: obs.address,
    interface: obs.interface,
    mac: obs.mac,
    netns: obs.netns,
    observedGeneration: obs.generation,
    ...fields,
    vmMatches: obs.vmMatches === undefined || obs.vmMatches.length === 0 ? undefined : obs.vmMatches.map((m) => ({ host: m.host, image: m.image, vms: [...m.vms] })),
  });
}
