// Full-server answers (dhcp.mode server), pure: DISCOVER, REQUEST, DECLINE, RELEASE, INFORM.
// DECLINE and RELEASE are taken only from the lease holder (issue 13).
import { formatIpv4, inSubnet, parseIpv4 } from '../../lib/ipv4.ts';
import { availableTo, chooseAddress, inRange, sameClient } from './allocate.ts';
import type { Lease, LeaseChange } from './leases.ts';
import { getAddress, MessageType, Opt, text } from './options.ts';
import {
  addressOptions, bootFor, build, destination, FLAG_BROADCAST, inEvent, noBootNote, onLink, outEvent, ZERO, type Ctx, type DhcpResponse,
} from './reply.ts';

/** How long an offered address stays reserved for the client it was offered to. */
export const OFFER_HOLD_MS = 60_000;

/** How long a declined address (in use by someone unknown) is kept out of the pool. */
export const DECLINE_HOLD_MS = 10 * 60_000;

/** The subnet check for full-server answers: relayed requests only from our own subnet. */
function relayRefusal(ctx: Ctx): string | undefined {
  const g = ctx.packet.giaddr;
  if (g === ZERO) return undefined;
  const n = parseIpv4(g);
  return n !== undefined && inSubnet(ctx.cfg.cidr, n) ? undefined : `relayed through ${g}, outside this server's subnet ${ctx.cfg.server}/${ctx.cfg.cidr.prefix}`;
}

function leaseFor(ctx: Ctx, ip: string, state: Lease['state'], expiresAt: number): Lease {
  const { client } = ctx;
  return {
    ip,
    mac: client.mac,
    state,
    expiresAt,
    ...(client.clientId === undefined ? {} : { clientId: client.clientId }),
    ...(client.hostname === undefined ? {} : { hostname: client.hostname }),
  };
}

export function discover(ctx: Ctx): DhcpResponse {
  const { cfg, leases, client, now } = ctx;
  const requested = getAddress(ctx.packet.options, Opt.requestedAddress);
  const refusal = relayRefusal(ctx);
  if (refusal) return ctx.drop(refusal);
  if (!cfg.range) return ctx.drop('no address range configured');
  const ip = chooseAddress(leases, cfg.range, client, requested, now);
  if (ip === undefined) return ctx.drop(`no free address in ${formatIpv4(cfg.range.start)}-${formatIpv4(cfg.range.end)}`);
  const current = leases.get(ip);
  const keep = current && current.state === 'bound' && current.expiresAt > now && sameClient(current, client);
  const changes: LeaseChange[] = keep ? [] : [{ kind: 'set', lease: leaseFor(ctx, ip, 'offered', now + OFFER_HOLD_MS) }];
  const { boot, why } = bootFor(ctx);
  const packet = build(ctx, MessageType.offer, { yiaddr: ip, ...(boot ? { boot } : {}) }, addressOptions(cfg, true));
  return {
    reply: { packet, ...destination(ctx) },
    changes,
    events: [inEvent(ctx, requested), ...noBootNote(ctx, why), outEvent(ctx, 'offer', 'offer', { ip, ...(boot ? { file: boot.file } : {}) })],
  };
}

function nak(ctx: Ctx, ip: string | undefined, reason: string, changes: LeaseChange[] = []): DhcpResponse {
  const packet = build(ctx, MessageType.nak, {}, [[Opt.message, text(reason)]]);
  if (ctx.packet.giaddr !== ZERO) packet.flags |= FLAG_BROADCAST;
  return {
    reply: { packet, ...destination(ctx, true) },
    changes,
    events: [inEvent(ctx, ip), outEvent(ctx, 'nak', 'nak', { ...(ip === undefined ? {} : { ip }), reason })],
  };
}

/** Drops this client's pending offers (it chose another server). */
function forgetOffers(ctx: Ctx): LeaseChange[] {
  const out: LeaseChange[] = [];
  for (const l of ctx.leases.candidates(ctx.client)) if (l.state === 'offered' && sameClient(l, ctx.client)) out.push({ kind: 'delete', ip: l.ip });
  return out;
}

export function request(ctx: Ctx): DhcpResponse {
  const { cfg, leases, client, now, packet } = ctx;
  const serverId = getAddress(packet.options, Opt.serverId);
  const requested = getAddress(packet.options, Opt.requestedAddress);
  if (serverId !== undefined && serverId !== cfg.server) return ctx.drop(`request for server ${serverId}, not this one`, forgetOffers(ctx));
  const ip = requested ?? (packet.ciaddr !== ZERO ? packet.ciaddr : undefined);
  if (ip === undefined) return ctx.drop('expected a requested address (option 50) or ciaddr, found neither');
  const refusal = relayRefusal(ctx);
  if (refusal) return serverId === undefined ? nak(ctx, ip, refusal) : ctx.drop(refusal);
  if (!cfg.range || !inRange(cfg.range, ip)) return nak(ctx, ip, `address ${ip} is not in this server's range`);
  if (!availableTo(leases, ip, client, now)) {
    const holder = leases.get(ip);
    return nak(ctx, ip, holder?.state === 'declined' ? `address ${ip} was declined as in use` : `address ${ip} is leased to another client`);
  }
  const changes: LeaseChange[] = [{ kind: 'set', lease: leaseFor(ctx, ip, 'bound', now + cfg.leaseSeconds * 1000) }];
  for (const l of leases.candidates(client)) {
    if (l.ip !== ip && l.state !== 'declined' && sameClient(l, client)) changes.push({ kind: 'delete', ip: l.ip });
  }
  const { boot, why } = bootFor(ctx);
  const reply = build(ctx, MessageType.ack, { yiaddr: ip, ciaddr: packet.ciaddr, ...(boot ? { boot } : {}) }, addressOptions(cfg, true));
  return {
    reply: { packet: reply, ...destination(ctx) },
    changes,
    events: [inEvent(ctx, ip), ...noBootNote(ctx, why), outEvent(ctx, 'ack', 'ack', { ip, ...(boot ? { file: boot.file } : {}) })],
  };
}

export function decline(ctx: Ctx): DhcpResponse {
  const { cfg, packet, now } = ctx;
  const serverId = getAddress(packet.options, Opt.serverId);
  const ip = getAddress(packet.options, Opt.requestedAddress);
  if (serverId !== undefined && serverId !== cfg.server) return ctx.drop(`decline for server ${serverId}, not this one`);
  if (ip === undefined || !cfg.range || !inRange(cfg.range, ip)) return ctx.drop(`decline of ${ip ?? 'no address'}, not one of this server's`);
  // Only the holder may decline: a DECLINE from anyone else would take a bound client's address.
  const lease = ctx.leases.get(ip);
  if (!lease || lease.state === 'declined' || lease.expiresAt <= now || !sameClient(lease, ctx.client)) {
    return ctx.drop(`decline of ${ip}, which is not leased or offered to this client`);
  }
  return { changes: [{ kind: 'set', lease: leaseFor(ctx, ip, 'declined', now + DECLINE_HOLD_MS) }], events: [inEvent(ctx, ip)] };
}

export function release(ctx: Ctx): DhcpResponse {
  const { cfg, packet, leases, client, now } = ctx;
  const serverId = getAddress(packet.options, Opt.serverId);
  if (serverId !== undefined && serverId !== cfg.server) return ctx.drop(`release for server ${serverId}, not this one`);
  const lease = leases.get(packet.ciaddr);
  if (!lease || lease.state !== 'bound' || !sameClient(lease, client)) return ctx.drop(`release of ${packet.ciaddr}, which is not this client's lease`);
  // Kept as an expired record: free for anyone, still this client's first choice.
  return { changes: [{ kind: 'set', lease: { ...lease, state: 'bound', expiresAt: Math.min(lease.expiresAt, now) } }], events: [inEvent(ctx, packet.ciaddr)] };
}

export function inform(ctx: Ctx): DhcpResponse {
  const { boot, why } = bootFor(ctx);
  const packet = build(ctx, MessageType.ack, { ciaddr: ctx.packet.ciaddr, ...(boot ? { boot } : {}) }, addressOptions(ctx.cfg, false));
  const dest = ctx.packet.ciaddr === ZERO && ctx.packet.giaddr === ZERO && onLink(ctx.cfg, ctx.arrival.sourceAddress)
    ? { address: ctx.arrival.sourceAddress, port: 68 }
    : destination(ctx);
  return {
    reply: { packet, ...dest },
    changes: [],
    events: [inEvent(ctx, ctx.packet.ciaddr), ...noBootNote(ctx, why), outEvent(ctx, 'ack', 'ack', { ...(boot ? { file: boot.file } : {}) })],
  };
}
