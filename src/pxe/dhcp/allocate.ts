// Address choice for full-server mode: a client keeps its address; no address ever goes
// to two clients; expired leases are reusable. Pure.
import { formatIpv4, parseIpv4, type Ipv4Range } from '../../lib/ipv4.ts';
import type { Lease, LeaseView } from './leases.ts';

export interface ClientKey {
  mac: string;
  clientId?: string;
}

/** Same client: by client identifier when both sides have one, else by MAC. */
export function sameClient(lease: Lease, client: ClientKey): boolean {
  if (lease.clientId !== undefined && client.clientId !== undefined) return lease.clientId === client.clientId;
  return lease.mac === client.mac;
}

/** True when `ip` lies in the range. */
export function inRange(range: Ipv4Range, ip: string): boolean {
  const n = parseIpv4(ip);
  return n !== undefined && n >= range.start && n <= range.end;
}

/** True when the address can go to this client now. */
export function availableTo(leases: LeaseView, ip: string, client: ClientKey, now: number): boolean {
  const lease = leases.get(ip);
  if (!lease) return !leases.full();
  if (lease.expiresAt <= now) return true;
  return lease.state !== 'declined' && sameClient(lease, client);
}

const RANK = { bound: 3, offered: 2 } as const;

/** The client's own lease in the range, best first: live bound, live offer, then the latest expired. */
export function clientLease(leases: LeaseView, range: Ipv4Range, client: ClientKey, now: number): Lease | undefined {
  let best: Lease | undefined;
  let bestRank = -1;
  for (const lease of leases.candidates(client)) {
    if (lease.state === 'declined' || !sameClient(lease, client) || !inRange(range, lease.ip)) continue;
    const rank = lease.expiresAt > now ? RANK[lease.state] : 1;
    if (rank > bestRank || (rank === bestRank && best !== undefined && lease.expiresAt > best.expiresAt)) {
      best = lease;
      bestRank = rank;
    }
  }
  return best;
}

/**
 * Chooses an address: the client's existing lease, else the requested address when
 * available, else the lowest never-used address, else the lowest expired one, else the
 * address of the oldest pending offer (a DISCOVER flood must not starve real clients).
 */
export function chooseAddress(leases: LeaseView, range: Ipv4Range, client: ClientKey, requested: string | undefined, now: number): string | undefined {
  const own = clientLease(leases, range, client, now);
  if (own) return own.ip;
  if (requested !== undefined && inRange(range, requested) && availableTo(leases, requested, client, now)) return requested;
  let expired: string | undefined;
  const full = leases.full();
  for (let n = range.start; n <= range.end; n++) {
    const ip = formatIpv4(n);
    const lease = leases.get(ip);
    if (!lease && !full) return ip;
    if (expired === undefined && lease && lease.expiresAt <= now) expired = ip;
  }
  return expired ?? leases.oldestOffer()?.ip;
}
