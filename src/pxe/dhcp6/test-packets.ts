// Client messages for the DHCPv6 tests, built with the codec (as a real client lays them out).
import { Dhcp6Option, encode, encodeIaNa, encodeStrings, type Dhcp6Opt } from './codec.ts';
import { ipv6Bytes, parseIpv6 } from '../../lib/ipv6.ts';

import { duidFromMac as duidLl } from './server.ts';

export { duidLl };

export interface ClientMessage {
  type: number;
  xid?: number;
  mac?: string;
  serverId?: Buffer;
  iaids?: number[];
  requested?: string;
  arch?: number;
  userClass?: string;
  oro?: number[];
  extra?: Dhcp6Opt[];
}

/** Encodes a client message. */
export function clientMessage(m: ClientMessage): Buffer {
  const options: Dhcp6Opt[] = [];
  if (m.mac) options.push({ code: Dhcp6Option.ClientId, data: duidLl(m.mac) });
  if (m.serverId) options.push({ code: Dhcp6Option.ServerId, data: m.serverId });
  for (const iaid of m.iaids ?? []) {
    const addresses = m.requested ? [{ address: ipv6Bytes(parseIpv6(m.requested)!), preferred: 0, valid: 0 }] : [];
    options.push({ code: Dhcp6Option.IaNa, data: encodeIaNa({ iaid, t1: 0, t2: 0, addresses }) });
  }
  if (m.oro) options.push({ code: Dhcp6Option.Oro, data: Buffer.from(m.oro.flatMap((c) => [c >> 8, c & 255])) });
  if (m.arch !== undefined) options.push({ code: Dhcp6Option.ClientArchType, data: Buffer.from([m.arch >> 8, m.arch & 255]) });
  if (m.userClass) options.push({ code: Dhcp6Option.UserClass, data: encodeStrings([m.userClass]) });
  options.push(...(m.extra ?? []));
  return encode({ type: m.type, xid: m.xid ?? 0x123456, options });
}
