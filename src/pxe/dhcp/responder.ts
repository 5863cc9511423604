// The DHCP server's decisions, without sockets or clocks: (spec, leases, packet, arrival,
// now) → at most one reply, the lease changes and the events to record.
import { formatIpv4, inSubnet, parseCidr, parseIpv4, parseRange, prefixMask, type Ipv4Cidr, type Ipv4Range } from '../../lib/ipv4.ts';
import type { ClientArch, PxeServerSpec } from '../../resources/pxe-server.ts';
import { bootFileFor, type BootFile } from '../boot-plan.ts';
import { availableTo, chooseAddress, inRange, sameClient } from './allocate.ts';
import { clientInfo, type ClientInfo } from './client-info.ts';
import { BOOTREPLY, BOOTREQUEST, type DhcpPacket } from './codec.ts';
import type { Lease, LeaseChange, LeaseView } from './leases.ts';
import {
  addresses, getAddress, getMessageType, MessageType, messageTypeName, Opt, PXE_DISCOVERY_CONTROL_BOOT_FILE, text, u32, u8,
  type MessageTypeName,
} from './options.ts';

/** How long an offered address stays reserved for the client it was offered to. */
export const OFFER_HOLD_MS = 60_000;
/** How long a declined address (in use by someone unknown) is kept out of the pool. */
export const DECLINE_HOLD_MS = 10 * 60_000;

const ZERO = '0.0.0.0';
const BROADCAST = '255.255.255.255';
const FLAG_BROADCAST = 0x8000;

export interface Arrival {
  port: 67 | 4011;
  sourceAddress: string;
  sourcePort: number;
}

export interface DhcpReply {
  packet: DhcpPacket;
  address: string;
  port: number;
}

/** One timeline entry: `in` for what arrived, `out` for what was sent, `note` for a remark. */
export interface DhcpEvent {
  direction: 'in' | 'out' | 'note';
  event: string;
  /** The DHCP message type of the packet (`discover`, `ack`…) or `unknown`. */
  type: string;
  mac: string;
  xid: number;
  ip?: string;
  arch?: ClientArch;
  ipxe?: boolean;
  file?: string;
  reason?: string;
}

export interface DhcpResponse {
  reply?: DhcpReply;
  changes: LeaseChange[];
  events: DhcpEvent[];
  /** Why nothing was sent, when the packet was dropped. */
  dropped?: string;
}

interface Config {
  mode: PxeServerSpec['dhcp']['mode'];
  server: string;
  cidr: Ipv4Cidr;
  range?: Ipv4Range;
  leaseSeconds: number;
  router?: string;
  dns?: string[];
  /** dhcp.relays: the only relay agents proxy and port-4011 answers go to. */
  relays: ReadonlySet<string>;
  httpPort: number;
}

const configs = new WeakMap<PxeServerSpec, Config>();

function configOf(spec: PxeServerSpec): Config {
  let c = configs.get(spec);
  if (c) return c;
  const cidr = parseCidr(spec.address);
  if (!cidr) throw new RangeError(`expected spec.address like 192.168.100.1/24, found ${JSON.stringify(spec.address)}`);
  const range = spec.dhcp.range === undefined ? undefined : parseRange(spec.dhcp.range);
  c = {
    mode: spec.dhcp.mode,
    server: formatIpv4(cidr.address),
    cidr,
    ...(range === undefined ? {} : { range }),
    leaseSeconds: spec.dhcp.leaseSeconds,
    ...(spec.dhcp.router === undefined ? {} : { router: spec.dhcp.router }),
    ...(spec.dhcp.dns === undefined || spec.dhcp.dns.length === 0 ? {} : { dns: spec.dhcp.dns }),
    relays: new Set(spec.dhcp.relays ?? []),
    httpPort: spec.http.port,
  };
  configs.set(spec, c);
  return c;
}

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

interface Ctx {
  cfg: Config;
  leases: LeaseView;
  packet: DhcpPacket;
  arrival: Arrival;
  now: number;
  client: ClientInfo;
  type: MessageTypeName;
  drop(reason: string, changes?: LeaseChange[]): DhcpResponse;
}

function describe(client: ClientInfo): Pick<DhcpEvent, 'arch' | 'ipxe'> {
  return client.pxe ? { ...(client.arch === undefined ? {} : { arch: client.arch }), ipxe: client.ipxe } : {};
}

function inEvent(ctx: Ctx, ip?: string): DhcpEvent {
  return { direction: 'in', event: ctx.type, type: ctx.type, mac: ctx.client.mac, xid: ctx.packet.xid, ...describe(ctx.client), ...(ip === undefined || ip === ZERO ? {} : { ip }) };
}

/** The boot file for a PXE client, or why there is none. */
function bootFor(ctx: Ctx): { boot?: BootFile; why?: string } {
  const { client, cfg } = ctx;
  if (!client.pxe) return {};
  if (client.arch === undefined) return { why: `no boot file for client architecture code ${client.archCode ?? 'none'}` };
  const boot = bootFileFor(
    { mac: client.mac, arch: client.arch, ipxe: client.ipxe, ...(client.uuid ? { uuid: client.uuid } : {}), ...(client.hostname ? { hostname: client.hostname } : {}) },
    { address: cfg.server, httpPort: cfg.httpPort },
  );
  return boot ? { boot } : { why: `no boot file for architecture ${client.arch}${client.ipxe ? ' (iPXE)' : ''}` };
}

function bootOptions(ctx: Ctx, boot: BootFile): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [
    [Opt.vendorClass, text(boot.vendorClass)],
    [Opt.tftpServer, text(ctx.cfg.server)],
    [Opt.bootfile, text(boot.file)],
  ];
  if (boot.vendorClass === 'PXEClient') out.push([Opt.vendorSpecific, PXE_DISCOVERY_CONTROL_BOOT_FILE]);
  const machineId = ctx.packet.options.get(Opt.clientMachineId);
  if (machineId) out.push([Opt.clientMachineId, machineId]);
  return out;
}

function addressOptions(cfg: Config, withLease: boolean): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  if (withLease) {
    out.push([Opt.leaseTime, u32(cfg.leaseSeconds)], [Opt.renewalTime, u32(Math.floor(cfg.leaseSeconds / 2))], [Opt.rebindingTime, u32(Math.floor((cfg.leaseSeconds * 7) / 8))]);
  }
  out.push([Opt.subnetMask, u32(prefixMask(cfg.cidr.prefix))]);
  if (cfg.router) out.push([Opt.router, addresses(cfg.router)]);
  if (cfg.dns) out.push([Opt.dns, addresses(...cfg.dns)]);
  return out;
}

function build(ctx: Ctx, type: number, fields: { yiaddr?: string; ciaddr?: string; boot?: BootFile }, options: Array<[number, Buffer]>): DhcpPacket {
  const req = ctx.packet;
  const all: Array<[number, Buffer]> = [[Opt.messageType, u8(type)], [Opt.serverId, addresses(ctx.cfg.server)], ...options];
  if (fields.boot) all.push(...bootOptions(ctx, fields.boot));
  const file = fields.boot && Buffer.byteLength(fields.boot.file, 'latin1') < 128 ? fields.boot.file : '';
  return {
    op: BOOTREPLY,
    htype: req.htype,
    hlen: req.hlen,
    hops: 0,
    xid: req.xid,
    secs: 0,
    flags: req.flags,
    ciaddr: fields.ciaddr ?? ZERO,
    yiaddr: fields.yiaddr ?? ZERO,
    siaddr: fields.boot ? ctx.cfg.server : ZERO,
    giaddr: req.giaddr,
    chaddr: req.chaddr,
    sname: '',
    file,
    options: new Map(all),
  };
}

/**
 * Where a reply goes: 4011 → back to the sender; relay → giaddr:67; ciaddr → unicast; else
 * broadcast. A ciaddr outside this server's subnet is never a unicast target (a spoofed one
 * would make the server send to any host): such replies are broadcast on the segment.
 */
function destination(ctx: Ctx, nak = false): { address: string; port: number } {
  const { packet, arrival } = ctx;
  if (arrival.port === 4011) return { address: arrival.sourceAddress, port: arrival.sourcePort };
  if (packet.giaddr !== ZERO) return { address: packet.giaddr, port: 67 };
  if (packet.ciaddr !== ZERO && !nak && onLink(ctx.cfg, packet.ciaddr)) return { address: packet.ciaddr, port: 68 };
  return { address: BROADCAST, port: 68 };
}

function onLink(cfg: Config, ip: string): boolean {
  const n = parseIpv4(ip);
  return n !== undefined && inSubnet(cfg.cidr, n);
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

function outEvent(ctx: Ctx, event: string, type: MessageTypeName, extra: Partial<DhcpEvent>): DhcpEvent {
  return { direction: 'out', event, type, mac: ctx.client.mac, xid: ctx.packet.xid, ...describe(ctx.client), ...extra };
}

function noBootNote(ctx: Ctx, why: string | undefined): DhcpEvent[] {
  return why === undefined ? [] : [{ direction: 'note', event: 'no-boot-file', type: ctx.type, mac: ctx.client.mac, xid: ctx.packet.xid, ...describe(ctx.client), reason: why }];
}

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

function discover(ctx: Ctx): DhcpResponse {
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

function request(ctx: Ctx): DhcpResponse {
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

function decline(ctx: Ctx): DhcpResponse {
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

function release(ctx: Ctx): DhcpResponse {
  const { cfg, packet, leases, client, now } = ctx;
  const serverId = getAddress(packet.options, Opt.serverId);
  if (serverId !== undefined && serverId !== cfg.server) return ctx.drop(`release for server ${serverId}, not this one`);
  const lease = leases.get(packet.ciaddr);
  if (!lease || lease.state !== 'bound' || !sameClient(lease, client)) return ctx.drop(`release of ${packet.ciaddr}, which is not this client's lease`);
  // Kept as an expired record: free for anyone, still this client's first choice.
  return { changes: [{ kind: 'set', lease: { ...lease, state: 'bound', expiresAt: Math.min(lease.expiresAt, now) } }], events: [inEvent(ctx, packet.ciaddr)] };
}

function inform(ctx: Ctx): DhcpResponse {
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
