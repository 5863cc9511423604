// A scripted PXE client, run inside a client namespace:
//   node --import tsx test/dhcp/pxe-client.ts MAC CLIENT_IP SERVER_IP
// Broadcasts (to the /24 broadcast address) a PXE DISCOVER (x64 UEFI, option 97), then unicasts an iPXE REQUEST to the
// server's port 4011 from port 68, and prints one JSON line with what came back.
import { createSocket, type RemoteInfo } from 'node:dgram';
import { decode, encode, type DhcpPacket } from '../../src/pxe/dhcp/codec.ts';
import { getAddress, getMessageType, getString, getVendorSubOptions, Opt } from '../../src/pxe/dhcp/options.ts';
import { clientPacket } from '../../src/pxe/dhcp/test-packets.ts';

const [mac = '', clientIp = '', serverIp = ''] = process.argv.slice(2);
const machineId = Buffer.concat([Buffer.from([0]), Buffer.from('5d307ca9b3ef428c886106e72d69f223', 'hex')]);
const socket = createSocket({ type: 'udp4', reuseAddr: true });
await new Promise<void>((resolve) => socket.bind(68, '0.0.0.0', resolve));
socket.setBroadcast(true);

function exchange(packet: DhcpPacket, host: string, port: number): Promise<{ reply: DhcpPacket; from: RemoteInfo } | undefined> {
  return new Promise((resolve) => {
    let tries = 0;
    const onMessage = (msg: Buffer, from: RemoteInfo) => {
      try {
        const reply = decode(msg);
        if (reply.xid !== packet.xid || reply.op !== 2) return;
        clearInterval(timer);
        socket.off('message', onMessage);
        resolve({ reply, from });
      } catch {
        /* not for us */
      }
    };
    socket.on('message', onMessage);
    const send = () => {
      if (tries++ >= 4) {
        clearInterval(timer);
        socket.off('message', onMessage);
        resolve(undefined);
        return;
      }
      socket.send(encode(packet), port, host);
    };
    const timer = setInterval(send, 1500);
    send();
  });
}

const describe = (r: { reply: DhcpPacket; from: RemoteInfo } | undefined) =>
  r && {
    fromPort: r.from.port,
    fromAddress: r.from.address,
    type: getMessageType(r.reply.options),
    yiaddr: r.reply.yiaddr,
    siaddr: r.reply.siaddr,
    file: r.reply.file,
    bootfile: getString(r.reply.options, Opt.bootfile),
    vendorClass: getString(r.reply.options, Opt.vendorClass),
    serverId: getAddress(r.reply.options, Opt.serverId),
    discoveryControl: getVendorSubOptions(r.reply.options)?.get(6)?.[0],
    machineId: r.reply.options.get(Opt.clientMachineId)?.toString('hex'),
    hasLeaseTime: r.reply.options.has(Opt.leaseTime),
  };

// To the subnet broadcast: this namespace has no route for 255.255.255.255 (udhcpc uses raw sockets).
const subnetBroadcast = clientIp.replace(/\.\d+$/, '.255');
const offer = await exchange(clientPacket('discover', { mac, xid: 0x1111, arch: 7, machineId }), subnetBroadcast, 67);
const ack = await exchange(clientPacket('request', { mac, xid: 0x2222, arch: 7, ipxe: true, ciaddr: clientIp, machineId }), serverIp, 4011);
process.stdout.write(`${JSON.stringify({ offer: describe(offer) ?? null, ack: describe(ack) ?? null })}\n`);
socket.close();
