// A hostile DHCP client for test/hostile/dhcp-flood.test.ts, run inside an attacker namespace:
// DISCOVERs from random MACs asking for random addresses (in and outside the range), and
// DECLINEs, RELEASEs and REQUESTs of the victim's address from MACs that do not hold it.
//   node --import tsx test/hostile/dhcp-attacker.ts SERVER_IP COUNT VICTIM_IP
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { macFromBytes } from '../../src/lib/mac.ts';
import { encode } from '../../src/pxe/dhcp/codec.ts';
import { clientPacket } from '../../src/pxe/dhcp/test-packets.ts';

const [server = '192.168.100.1', countText = '10000', victim = '192.168.100.10'] = process.argv.slice(2);
const count = Number(countText);
const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.bind(68, resolve));
const randomIp = () => (Math.random() < 0.5 ? `192.168.100.${Math.floor(Math.random() * 256)}` : [...randomBytes(4)].join('.'));
const send = (bytes: Buffer) => new Promise<void>((resolve) => socket.send(bytes, 67, server, () => resolve()));

let sent = 0;
for (let i = 0; i < count; i++) {
  const mac = macFromBytes(Buffer.concat([Buffer.from([0x02]), randomBytes(5)]));
  const xid = randomBytes(4).readUInt32BE();
  const packets = [
    clientPacket('discover', { mac, xid, requested: randomIp() }),
    clientPacket('decline', { mac, xid, requested: i % 2 === 0 ? victim : randomIp(), serverId: server }),
    clientPacket('release', { mac, xid, ciaddr: victim, serverId: server }),
    clientPacket('request', { mac, xid, requested: victim, serverId: server }),
  ];
  const packet = packets[i % packets.length]!;
  await send(encode(packet));
  sent++;
}
socket.close();
process.stdout.write(`${JSON.stringify({ sent })}\n`);
