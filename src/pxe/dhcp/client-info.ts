// What a DHCP request says about its sender: identity, PXE-ness, architecture, iPXE.
import { macFromBytes } from '../../lib/mac.ts';
import { archFromCode } from '../boot-plan.ts';
import type { ClientArch } from '../../resources/pxe-server.ts';
import type { DhcpPacket } from './codec.ts';
import { parseRelayAgentInfo, type RelayIds } from '../relay-info.ts';
import { getClientArches, getClientId, getClientUuid, getString, getUserClasses, Opt } from './options.ts';

export interface ClientInfo {
  /** chaddr as a canonical MAC (other hardware types: hex bytes joined by colons). */
  mac: string;
  clientId?: string;
  hostname?: string;
  /** Option 60 or 93 says this is a PXE (or UEFI HTTP boot) client. */
  pxe: boolean;
  /** The raw architecture code (option 93, else from option 60's `Arch:NNNNN`). */
  archCode?: number;
  arch?: ClientArch;
  ipxe: boolean;
  uuid?: string;
  /** Option 82's circuit and remote IDs, only from a relayed request (giaddr set). */
  relay?: RelayIds;
}

const ARCH_IN_VENDOR_CLASS = /^(?:PXEClient|HTTPClient):Arch:(\d{5})/;

/** Reads the client facts the responder decides on. */
export function clientInfo(packet: DhcpPacket): ClientInfo {
  const { options } = packet;
  const vendorClass = getString(options, Opt.vendorClass);
  const arches = getClientArches(options);
  const pxe = vendorClass?.startsWith('PXEClient') === true || vendorClass?.startsWith('HTTPClient') === true || options.has(Opt.clientArch);
  let archCode = arches?.[0];
  if (archCode === undefined && vendorClass !== undefined) {
    const m = ARCH_IN_VENDOR_CLASS.exec(vendorClass);
    if (m) archCode = Number(m[1]);
  }
  // A PXE ROM that predates RFC 4578 sends neither: it is a BIOS ROM.
  if (archCode === undefined && pxe) archCode = 0;
  const arch = archCode === undefined ? undefined : archFromCode(archCode);
  const ipxe = options.has(Opt.ipxeEncap) || (getUserClasses(options)?.includes('iPXE') ?? false);
  const clientId = getClientId(options);
  const hostname = getString(options, Opt.hostname);
  const uuid = getClientUuid(options);
  const agentInfo = packet.giaddr !== '0.0.0.0' ? options.get(Opt.relayAgentInfo) : undefined;
  const relay = agentInfo === undefined ? undefined : parseRelayAgentInfo(agentInfo);
  return {
    mac: packet.htype === 1 && packet.hlen === 6 ? macFromBytes(packet.chaddr) : [...packet.chaddr].map((b) => b.toString(16).padStart(2, '0')).join(':'),
    pxe,
    ipxe,
    ...(clientId === undefined ? {} : { clientId }),
    ...(hostname === undefined || hostname === '' ? {} : { hostname }),
    ...(archCode === undefined ? {} : { archCode }),
    ...(arch === undefined ? {} : { arch }),
    ...(uuid === undefined ? {} : { uuid }),
    ...(relay === undefined ? {} : { relay }),
  };
}
