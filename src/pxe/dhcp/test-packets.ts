// Client packets for tests: what a DISCOVER/REQUEST from a PC, a PXE ROM or iPXE looks like.
import { macToBytes } from '../../lib/mac.ts';
import { BOOTREQUEST, type DhcpPacket } from './codec.ts';
import { addresses, MessageType, Opt, text, u8, type MessageTypeName } from './options.ts';

export interface ClientPacketOptions {
  mac?: string;
  xid?: number;
  ciaddr?: string;
  giaddr?: string;
  flags?: number;
  requested?: string;
  serverId?: string;
  /** Option 93 code; with `pxe` also option 60 `PXEClient:Arch:NNNNN:UNDI:003016`. */
  arch?: number;
  pxe?: boolean;
  vendorClass?: string;
  ipxe?: boolean;
  userClass?: Buffer;
  machineId?: Buffer;
  clientId?: Buffer;
  hostname?: string;
}

/** Builds a client request of the given type. */
export function clientPacket(type: MessageTypeName, o: ClientPacketOptions = {}): DhcpPacket {
  const options = new Map<number, Buffer>([[Opt.messageType, u8(MessageType[type])]]);
  if (o.clientId) options.set(Opt.clientId, o.clientId);
  if (o.requested) options.set(Opt.requestedAddress, addresses(o.requested));
  if (o.serverId) options.set(Opt.serverId, addresses(o.serverId));
  if (o.hostname) options.set(Opt.hostname, text(o.hostname));
  options.set(Opt.parameterList, Buffer.from([1, 3, 6, 12, 15, 28, 42, 43, 60, 66, 67, 97, 175]));
  const archCode = o.arch;
  if (o.vendorClass !== undefined) options.set(Opt.vendorClass, text(o.vendorClass));
  else if (o.pxe || archCode !== undefined) options.set(Opt.vendorClass, text(`PXEClient:Arch:${String(archCode ?? 0).padStart(5, '0')}:UNDI:003016`));
  if (archCode !== undefined) {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(archCode);
    options.set(Opt.clientArch, b);
    options.set(Opt.clientNdi, Buffer.from([1, 3, 16]));
  }
  if (o.machineId) options.set(Opt.clientMachineId, o.machineId);
  if (o.userClass) options.set(Opt.userClass, o.userClass);
  if (o.ipxe) options.set(Opt.ipxeEncap, Buffer.from([0xb1, 0x05, 0x01, 0x80, 0x86, 0x10, 0x0e, 0x13, 0x01, 0x01]));
  return {
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: o.xid ?? 0x1234abcd,
    secs: 0,
    flags: o.flags ?? 0,
    ciaddr: o.ciaddr ?? '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: o.giaddr ?? '0.0.0.0',
    chaddr: macToBytes(o.mac ?? '02:00:00:00:00:01'),
    sname: '',
    file: '',
    options,
  };
}
