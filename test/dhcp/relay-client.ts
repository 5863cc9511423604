// A scripted DHCP relay agent with one client behind it, run inside a client namespace:
//   node --import tsx test/dhcp/relay-client.ts MAC RELAY_IP SERVER_IP CIRCUIT_ID
// Listens on RELAY_IP:67 as a relay does, forwards an iPXE DISCOVER and then REQUEST for MAC with
// giaddr RELAY_IP and option 82 (circuit ID CIRCUIT_ID, remote ID "relay-a"), then fetches the
// boot script URL the ACK names. Prints one JSON line with what came back.
import { createSocket } from 'node:dgram';
import { decode, encode, type DhcpPacket } from '../../src/pxe/dhcp/codec.ts';
import { getMessageType, getString, Opt } from '../../src/pxe/dhcp/options.ts';
import { clientPacket } from '../../src/pxe/dhcp/test-packets.ts';

const [mac = '', relayIp = '', serverIp = '', circuitId = ''] = process.argv.slice(2);
const agentInfo = Buffer.concat([Buffer.from([1, Buffer.byteLength(circuitId)]), Buffer.from(circuitId), Buffer.from([2, 7]), Buffer.from('relay-a')]);
const socket = createSocket({ type: 'udp4', reuseAddr: true });
await new Promise<void>((resolve) => socket.bind(67, relayIp, resolve));

function relayed(packet: DhcpPacket): DhcpPacket {
  packet.options.set(Opt.relayAgentInfo, agentInfo);
  return { ...packet, giaddr: relayIp, hops: 1 };
}

function exchange(packet: DhcpPacket): Promise<DhcpPacket | undefined> {
  return new Promise((resolve) => {
    let tries = 0;
    const onMessage = (msg: Buffer) => {
      try {
        const reply = decode(msg);
        if (reply.xid !== packet.xid || reply.op !== 2) return;
        clearInterval(timer);
        socket.off('message', onMessage);
        resolve(reply);
      } catch {
        /* not for us */
      }
    };
    socket.on('message', onMessage);
    const send = () => {
      if (tries++ >= 4) return void (clearInterval(timer), socket.off('message', onMessage), resolve(undefined));
      socket.send(encode(packet), 67, serverIp);
    };
    const timer = setInterval(send, 1500);
    send();
  });
}

const offer = await exchange(relayed(clientPacket('discover', { mac, xid: 0x3131, arch: 7, ipxe: true })));
const ack = offer && (await exchange(relayed(clientPacket('request', { mac, xid: 0x3232, arch: 7, ipxe: true, requested: offer.yiaddr, serverId: serverIp }))));
const bootfile = ack && getString(ack.options, Opt.bootfile);
const script = bootfile ? await fetch(bootfile).then((r) => r.text()) : null;
const echoed = ack?.options.get(Opt.relayAgentInfo)?.equals(agentInfo) ?? false;
process.stdout.write(`${JSON.stringify({ offerType: offer && getMessageType(offer.options), yiaddr: offer?.yiaddr ?? null, ackType: ack && getMessageType(ack.options), bootfile: bootfile ?? null, echoed, script })}\n`);
socket.close();
