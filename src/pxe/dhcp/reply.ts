// What every DHCP answer is built from, pure: the responder's types, the config read once per
// spec, the context of one request, and the helpers that build a reply and its events.
import { formatIpv4, inSubnet, parseCidr, parseIpv4, parseRange, prefixMask, type Ipv4Cidr, type Ipv4Range } from '../../lib/ipv4.ts';
import type { ClientArch, PxeServerSpec } from '../../resources/pxe-server.ts';
import { bootFileFor, type BootFile } from '../boot-plan.ts';
import { selectImage } from '../select.ts';
import type { ClientInfo } from './client-info.ts';
import { BOOTREPLY, type DhcpPacket } from './codec.ts';
import type { LeaseChange, LeaseView } from './leases.ts';
import { addresses, Opt, PXE_DISCOVERY_CONTROL_BOOT_FILE, text, u32, u8, type MessageTypeName } from './options.ts';

export const ZERO = '0.0.0.0';

export const BROADCAST = '255.255.255.255';

export const FLAG_BROADCAST = 0x8000;

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

export interface Config {
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
  /** Some image boots through the signed chain (so DHCP selects the image for x64 UEFI firmware). */
  secureBootImages: boolean;
  spec: PxeServerSpec;
}

/** Whether the image selected for this client boots through the signed chain. */
function secureBootSelected(spec: PxeServerSpec, client: ClientInfo): boolean {
  const s = selectImage(spec, { mac: client.mac, ...(client.arch ? { arch: client.arch } : {}), ...(client.uuid ? { uuid: client.uuid } : {}), ...(client.hostname ? { hostname: client.hostname } : {}), ...(client.relay ? { relay: client.relay } : {}) });
  return s.kind === 'image' && s.image.secureBoot === true;
}

const configs = new WeakMap<PxeServerSpec, Config>();

export function configOf(spec: PxeServerSpec): Config {
  let c = configs.get(spec);
  if (c) return c;
  const cidr = parseCidr(spec.address ?? '');
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
    secureBootImages: spec.images.some((i) => i.secureBoot === true),
    spec,
  };
  configs.set(spec, c);
  return c;
}

export interface Ctx {
  cfg: Config;
  leases: LeaseView;
  packet: DhcpPacket;
  arrival: Arrival;
  now: number;
  client: ClientInfo;
  type: MessageTypeName;
  drop(reason: string, changes?: LeaseChange[]): DhcpResponse;
}

export function describe(client: ClientInfo): Pick<DhcpEvent, 'arch' | 'ipxe'> {
  return client.pxe ? { ...(client.arch === undefined ? {} : { arch: client.arch }), ipxe: client.ipxe } : {};
}

export function inEvent(ctx: Ctx, ip?: string): DhcpEvent {
  return { direction: 'in', event: ctx.type, type: ctx.type, mac: ctx.client.mac, xid: ctx.packet.xid, ...describe(ctx.client), ...(ip === undefined || ip === ZERO ? {} : { ip }) };
}

/** The boot file for a PXE client, or why there is none. */
export function bootFor(ctx: Ctx): { boot?: BootFile; why?: string } {
  const { client, cfg } = ctx;
  if (!client.pxe) return {};
  if (client.arch === undefined) return { why: `no boot file for client architecture code ${client.archCode ?? 'none'}` };
  const boot = bootFileFor(
    { mac: client.mac, arch: client.arch, ipxe: client.ipxe, ...(client.uuid ? { uuid: client.uuid } : {}), ...(client.hostname ? { hostname: client.hostname } : {}) },
    { address: cfg.server, httpPort: cfg.httpPort },
    cfg.secureBootImages && !client.ipxe && client.arch === 'efi-x64' ? secureBootSelected(cfg.spec, client) : false,
  );
  return boot ? { boot } : { why: `no boot file for architecture ${client.arch}${client.ipxe ? ' (iPXE)' : ''}` };
}

export function bootOptions(ctx: Ctx, boot: BootFile): Array<[number, Buffer]> {
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

export function addressOptions(cfg: Config, withLease: boolean): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  if (withLease) {
    out.push([Opt.leaseTime, u32(cfg.leaseSeconds)], [Opt.renewalTime, u32(Math.floor(cfg.leaseSeconds / 2))], [Opt.rebindingTime, u32(Math.floor((cfg.leaseSeconds * 7) / 8))]);
  }
  out.push([Opt.subnetMask, u32(prefixMask(cfg.cidr.prefix))]);
  if (cfg.router) out.push([Opt.router, addresses(cfg.router)]);
  if (cfg.dns) out.push([Opt.dns, addresses(...cfg.dns)]);
  return out;
}

export function build(ctx: Ctx, type: number, fields: { yiaddr?: string; ciaddr?: string; boot?: BootFile }, options: Array<[number, Buffer]>): DhcpPacket {
  const req = ctx.packet;
  const all: Array<[number, Buffer]> = [[Opt.messageType, u8(type)], [Opt.serverId, addresses(ctx.cfg.server)], ...options];
  if (fields.boot) all.push(...bootOptions(ctx, fields.boot));
  // RFC 3046 2.2: a reply to a relayed request carries the agent's option 82 back to it.
  const agentInfo = req.giaddr !== ZERO ? req.options.get(Opt.relayAgentInfo) : undefined;
  if (agentInfo) all.push([Opt.relayAgentInfo, agentInfo]);
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
export function destination(ctx: Ctx, nak = false): { address: string; port: number } {
  const { packet, arrival } = ctx;
  if (arrival.port === 4011) return { address: arrival.sourceAddress, port: arrival.sourcePort };
  if (packet.giaddr !== ZERO) return { address: packet.giaddr, port: 67 };
  if (packet.ciaddr !== ZERO && !nak && onLink(ctx.cfg, packet.ciaddr)) return { address: packet.ciaddr, port: 68 };
  return { address: BROADCAST, port: 68 };
}

export function onLink(cfg: Config, ip: string): boolean {
  const n = parseIpv4(ip);
  return n !== undefined && inSubnet(cfg.cidr, n);
}

export function outEvent(ctx: Ctx, event: string, type: MessageTypeName, extra: Partial<DhcpEvent>): DhcpEvent {
  return { direction: 'out', event, type, mac: ctx.client.mac, xid: ctx.packet.xid, ...describe(ctx.client), ...extra };
}

export function noBootNote(ctx: Ctx, why: string | undefined): DhcpEvent[] {
  return why === undefined ? [] : [{ direction: 'note', event: 'no-boot-file', type: ctx.type, mac: ctx.client.mac, xid: ctx.packet.xid, ...describe(ctx.client), reason: why }];
}
