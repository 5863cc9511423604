// The DHCPv6 server's decisions (RFC 8415 §18.3), pure apart from the bindings table it is
// given: a parsed client message in, the reply (if any) and timeline events out. Boot files
// come from the same plan as DHCPv4 (boot-plan.ts): option 59 carries a tftp:// or http://
// URL with the server's IPv6 address in brackets (RFC 5970 §3.1).
import { formatIpv6, inPrefix6, ipv6Bytes, ipv6FromBytes, type Ipv6Cidr } from '../../lib/ipv6.ts';
import { archFromCode, bootFileFor, type PxeClient } from '../boot-plan.ts';
import type { Dhcp6Mode } from '../../resources/pxe-server-ipv6.ts';
import { Dhcp6Option, Dhcp6Status, Dhcp6Type, encodeIaNa, encodeStatus, encodeStrings, type Dhcp6Message, type Dhcp6Opt, type IaNa } from './codec.ts';
import type { Dhcp6Client } from './client.ts';
import type { Bindings6 } from './leases.ts';

export interface Dhcp6Config {
  mode: Exclude<Dhcp6Mode, 'off'>;
  /** This server's DUID (option 2). */
  serverDuid: Buffer;
  /** This server's IPv6 address and prefix: the boot URLs' host, and what Confirm checks. */
  server: Ipv6Cidr;
  httpPort: number;
  tftpPort: number;
  leaseSeconds: number;
  dns: readonly bigint[];
}

export interface Dhcp6Event {
  direction: 'in' | 'out';
  event: string;
  xid: number;
  mac?: string;
  ip?: string;
  file?: string;
  arch?: string;
  ipxe?: boolean;
  reason?: string;
}

export interface Dhcp6Response {
  reply?: Dhcp6Message;
  events: Dhcp6Event[];
}

const NAMES: Record<number, string> = { 1: 'solicit', 2: 'advertise', 3: 'request', 4: 'confirm', 5: 'renew', 6: 'rebind', 7: 'reply', 8: 'release', 9: 'decline', 10: 'reconfigure', 11: 'information-request', 12: 'relay-forw', 13: 'relay-repl' };
/** The message type's name for logs and metrics. */
export const typeName = (type: number): string => NAMES[type] ?? `type-${type}`;
/** Enterprise number sent in a vendor class when the client sent none (Intel's, as EDK II uses). */
const DEFAULT_ENTERPRISE = 343;

const opt = (code: number, data: Buffer): Dhcp6Opt => ({ code, data });
const bindingKey = (client: Dhcp6Client, iaid: number) => `${client.clientId!.toString('hex')}/${iaid}`;

/** Answers one client message; `bindings` is updated for Request/Renew/Rebind/Release/Decline. */
export function respond6(cfg: Dhcp6Config, bindings: Bindings6 | undefined, client: Dhcp6Client, now: number): Dhcp6Response {
  const base = { xid: client.xid, ...(client.mac === undefined ? {} : { mac: client.mac }) };
  const events: Dhcp6Event[] = [{ direction: 'in', event: typeName(client.type), ...base }];
  const drop = (reason: string): Dhcp6Response => {
    events.push({ direction: 'in', event: 'dropped', ...base, reason });
    return { events };
  };
  const ours = client.serverId !== undefined && client.serverId.equals(cfg.serverDuid);
  const t = client.type;
  if (t === Dhcp6Type.RelayForw) return drop('relayed DHCPv6 (relay-forw) is not served: the server answers on its own link only');
  if (t !== Dhcp6Type.Solicit && t !== Dhcp6Type.Request && t !== Dhcp6Type.Confirm && t !== Dhcp6Type.Renew && t !== Dhcp6Type.Rebind && t !== Dhcp6Type.Release && t !== Dhcp6Type.Decline && t !== Dhcp6Type.InformationRequest) {
    return drop(`expected a client message, found ${typeName(t)}`);
  }
  if (t !== Dhcp6Type.InformationRequest && client.clientId === undefined) return drop('expected a client identifier (option 1), found none');
  if ((t === Dhcp6Type.Solicit || t === Dhcp6Type.Confirm || t === Dhcp6Type.Rebind) && client.serverId !== undefined) return drop(`expected no server identifier in ${typeName(t)}, found one`);
  if ((t === Dhcp6Type.Request || t === Dhcp6Type.Renew || t === Dhcp6Type.Release || t === Dhcp6Type.Decline) && !ours) return drop('addressed to another server (server identifier is not ours)');
  if (t === Dhcp6Type.InformationRequest && client.serverId !== undefined && !ours) return drop('addressed to another server (server identifier is not ours)');
  if (t === Dhcp6Type.InformationRequest && client.iaNa.length > 0) return drop('expected no IA_NA in information-request, found one');

  const options: Dhcp6Opt[] = [];
  if (client.clientId) options.push(opt(Dhcp6Option.ClientId, client.clientId));
  options.push(opt(Dhcp6Option.ServerId, cfg.serverDuid));
  const out = (type: number, extra: Partial<Dhcp6Event> = {}): Dhcp6Response => {
    events.push({ direction: 'out', event: typeName(type), ...base, ...extra });
    return { reply: { type, xid: client.xid, options }, events };
  };
  const status = (code: number, message: string) => options.push(opt(Dhcp6Option.StatusCode, encodeStatus(code, message)));

  if (t === Dhcp6Type.Confirm) {
    const addrs = client.iaNa.flatMap((ia) => ia.addresses.map((a) => ipv6FromBytes(a.address)));
    if (addrs.length === 0) return drop('confirm without addresses');
    const onLink = addrs.every((a) => inPrefix6(cfg.server, a));
    status(onLink ? Dhcp6Status.Success : Dhcp6Status.NotOnLink, onLink ? 'addresses are on this link' : 'addresses are not on this link');
    return out(Dhcp6Type.Reply);
  }
  if (t === Dhcp6Type.Release || t === Dhcp6Type.Decline) {
    for (const ia of client.iaNa) bindings?.release(bindingKey(client, ia.iaid));
    status(Dhcp6Status.Success, t === Dhcp6Type.Release ? 'released' : 'declined address released');
    return out(Dhcp6Type.Reply);
  }

  // Solicit, Request, Renew, Rebind: addresses for each IA (committed except for Solicit).
  let ip: string | undefined;
  if (t !== Dhcp6Type.InformationRequest && client.iaNa.length > 0) {
    // Stateless with a range still leases to clients that ask (UEFI PXE and HTTP boot always
    // send IA_NA); without a range there is nothing to lease.
    if (!bindings) {
      if (t === Dhcp6Type.Solicit) {
        status(Dhcp6Status.NoAddrsAvail, 'stateless DHCPv6: no addresses are leased here (use SLAAC)');
        return out(Dhcp6Type.Advertise, { reason: 'stateless: no addresses' });
      }
      for (const ia of client.iaNa) options.push(opt(Dhcp6Option.IaNa, encodeIaNa({ iaid: ia.iaid, t1: 0, t2: 0, addresses: [], status: { code: Dhcp6Status.NoAddrsAvail, message: 'stateless DHCPv6' } })));
    } else {
      const life = cfg.leaseSeconds;
      for (const ia of client.iaNa) {
        const key = bindingKey(client, ia.iaid);
        const requested = ia.addresses.map((a) => ipv6FromBytes(a.address));
        const address = bindings.pick(key, requested, now);
        const reply: IaNa = { iaid: ia.iaid, t1: Math.floor(life / 2), t2: Math.floor((life * 4) / 5), addresses: [] };
        if (address === undefined) reply.status = { code: Dhcp6Status.NoAddrsAvail, message: 'no free address in the range' };
        else {
          reply.addresses.push({ address: ipv6Bytes(address), preferred: life, valid: life });
          ip ??= formatIpv6(address);
          if (t !== Dhcp6Type.Solicit) bindings.commit(key, address, now + life * 1000, client.mac);
        }
        options.push(opt(Dhcp6Option.IaNa, encodeIaNa(reply)));
      }
    }
  }
  if (t === Dhcp6Type.Solicit) options.push(opt(Dhcp6Option.Preference, Buffer.from([255])));
  if (cfg.dns.length > 0) options.push(opt(Dhcp6Option.DnsServers, Buffer.concat(cfg.dns.map(ipv6Bytes))));
  const boot = bootOptions(cfg, client);
  options.push(...boot.options);
  return out(t === Dhcp6Type.Solicit ? Dhcp6Type.Advertise : Dhcp6Type.Reply, { ...(ip === undefined ? {} : { ip }), ...boot.event });
}

/** Option 59 (and the vendor class PXEClient/HTTPClient) for a client that names its architecture or asks for a boot file. */
function bootOptions(cfg: Dhcp6Config, client: Dhcp6Client): { options: Dhcp6Opt[]; event: Partial<Dhcp6Event> } {
  const ipxe = client.userClasses.includes('iPXE');
  const arch = client.arch === undefined ? undefined : archFromCode(client.arch);
  const wants = client.arch !== undefined || ipxe || client.oro.includes(Dhcp6Option.BootfileUrl);
  if (!wants) return { options: [], event: {} };
  if (arch === undefined) return { options: [], event: { ipxe, reason: `no boot file: expected a known client architecture (option 61), found ${client.arch ?? 'none'}` } };
  const pxe: PxeClient = { mac: client.mac ?? '', arch, ipxe };
  const host = `[${formatIpv6(cfg.server.address)}]`;
  const file = bootFileFor(pxe, { address: host, httpPort: cfg.httpPort });
  if (!file) return { options: [], event: { arch, ipxe, reason: `no boot file for architecture ${arch}` } };
  const url = /^https?:\/\//.test(file.file) ? file.file : `tftp://${cfg.tftpPort === 69 ? host : `${host}:${cfg.tftpPort}`}/${file.file}`;
  const vendor = Buffer.alloc(4);
  vendor.writeUInt32BE(client.vendorClass?.enterprise ?? DEFAULT_ENTERPRISE);
  // HTTPClient marks the offer as an HTTP boot offer (EDK II needs it). PXEClient is left out:
  // EDK II's PXEv6 takes a PXEClient offer for a "BINL" one and asks a boot server on port 4011
  // before it boots, while a plain offer with option 59 is booted directly (as dnsmasq's are).
  const vendorClass = file.vendorClass === 'HTTPClient' ? [opt(Dhcp6Option.VendorClass, Buffer.concat([vendor, encodeStrings([file.vendorClass])]))] : [];
  return {
    options: [opt(Dhcp6Option.BootfileUrl, Buffer.from(url, 'latin1')), ...vendorClass],
    event: { arch, ipxe, file: url },
  };
}
