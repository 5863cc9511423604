// The DHCP server's decisions, without sockets or clocks: (spec, leases, packet, arrival,
// now) → at most one reply, the lease changes and the events to record. Full-server answers
// are in server-mode.ts; proxyDHCP and port 4011 here.
import type { PxeServerSpec } from '../../resources/pxe-server.ts';
import { clientInfo } from './client-info.ts';
import { BOOTREQUEST, type DhcpPacket } from './codec.ts';
import type { LeaseChange, LeaseView } from './leases.ts';
import { getMessageType, MessageType, messageTypeName } from './options.ts';
import { bootFor, build, configOf, describe, destination, inEvent, onLink, outEvent, ZERO, type Arrival, type Ctx, type DhcpResponse } from './reply.ts';
import { decline, discover, inform, release, request } from './server-mode.ts';

export type { Arrival, DhcpEvent, DhcpReply, DhcpResponse } from './reply.ts';
export { DECLINE_HOLD_MS, OFFER_HOLD_MS } from './server-mode.ts';

/** Decides what to do with one decoded request. Never throws on a well-decoded packet. */
export function respond(spec: PxeServerSpec, leases: LeaseView, packet: DhcpPacket, arrival: Arrival, now: number): DhcpResponse {
  const cfg = configOf(spec);
  const typeCode = getMessageType(packet.options);
  const type = messageTypeName(typeCode);
  const client = clientInfo(packet);
  const base = { mac: client.mac, xid: packet.xid };
  const drop = (reason: string, changes: LeaseChange[] = []): DhcpResponse => ({
    changes,
    events: [{ direction: 'in', event: 'dropped', type: type ?? 'unknown', ...base, ...describe(client), reason }],
    dropped: reason,
  });

  if (packet.op !== BOOTREQUEST) return drop(`expected op 1 (BOOTREQUEST), found ${packet.op}`);
  if (packet.hlen === 0 || (packet.htype === 1 && packet.hlen !== 6)) return drop(`expected hlen 6 for htype ${packet.htype}, found ${packet.hlen}`);
  if (type === undefined) return drop(typeCode === undefined ? 'expected option 53 (message type), found none' : `expected message type 1 to 8, found ${typeCode}`);
  if (type === 'offer' || type === 'ack' || type === 'nak') return drop(`expected a client message, found ${type.toUpperCase()}`);

  const ctx: Ctx = { cfg, leases, packet, arrival, now, client, type, drop };
  if (arrival.port === 4011) return portPxe(ctx);
  if (cfg.mode === 'proxy') return proxy(ctx);
  if (cfg.mode !== 'server') return drop(`DHCP mode is ${cfg.mode}`);
  switch (type) {
    case 'discover':
      return discover(ctx);
    case 'request':
      return request(ctx);
    case 'decline':
      return decline(ctx);
    case 'release':
      return release(ctx);
    case 'inform':
      return inform(ctx);
  }
}

/**
 * proxyDHCP and port-4011 answers go only to the client itself (on this subnet, from its own
 * address) or to a relay listed in dhcp.relays; anything else could aim them at any host.
 */
function proxyRefusal(ctx: Ctx): string | undefined {
  const { packet, arrival, cfg } = ctx;
  if (packet.giaddr !== ZERO && !cfg.relays.has(packet.giaddr)) return `relayed through ${packet.giaddr}, not one of dhcp.relays [${[...cfg.relays].join(', ')}]`;
  if (arrival.port !== 4011) return undefined;
  const source = arrival.sourceAddress;
  if (cfg.relays.has(source)) return undefined;
  if (packet.giaddr !== ZERO) return `relayed request from ${source}, expected it from relay ${packet.giaddr}`;
  if (!onLink(cfg, source)) return `source ${source} is outside this server's subnet ${cfg.server}/${cfg.cidr.prefix} and not in dhcp.relays`;
  if (packet.ciaddr !== ZERO && packet.ciaddr !== source) return `source ${source} differs from ciaddr ${packet.ciaddr}`;
  return undefined;
}

function proxy(ctx: Ctx): DhcpResponse {
  if (!ctx.client.pxe) return ctx.drop('proxy mode: not a PXE client');
  const refusal = proxyRefusal(ctx);
  if (refusal) return ctx.drop(`proxy mode: ${refusal}`);
  if (ctx.type !== 'discover') return ctx.drop(`proxy mode: ${ctx.type.toUpperCase()} on port 67 is for the address server`);
  const { boot, why } = bootFor(ctx);
  if (!boot) return ctx.drop(`proxy mode: ${why ?? 'no boot file'}`);
  const packet = build(ctx, MessageType.offer, { boot }, []);
  return {
    reply: { packet, ...destination(ctx) },
    changes: [],
    events: [inEvent(ctx), outEvent(ctx, 'proxy-offer', 'offer', { file: boot.file })],
  };
}

function portPxe(ctx: Ctx): DhcpResponse {
  if (!ctx.client.pxe) return ctx.drop('port 4011: not a PXE client');
  if (ctx.type !== 'request' && ctx.type !== 'inform') return ctx.drop(`port 4011: expected REQUEST or INFORM, found ${ctx.type.toUpperCase()}`);
  const refusal = proxyRefusal(ctx);
  if (refusal) return ctx.drop(`port 4011: ${refusal}`);
  const { boot, why } = bootFor(ctx);
  if (!boot) return ctx.drop(`port 4011: ${why ?? 'no boot file'}`);
  const ip = ctx.packet.ciaddr !== ZERO ? ctx.packet.ciaddr : ctx.arrival.sourceAddress;
  const packet = build(ctx, MessageType.ack, { ciaddr: ctx.packet.ciaddr, boot }, []);
  return {
    reply: { packet, ...destination(ctx) },
    changes: [],
    events: [inEvent(ctx, ip), outEvent(ctx, 'proxy-ack', 'ack', { ...(ip === ZERO ? {} : { ip }), file: boot.file })],
  };
}
