import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DhcpPacket } from './codec.ts';
import { getAddress, getAddresses, getMessageType, getString, getUint32, getVendorSubOptions, MessageType, Opt } from './options.ts';
import { DECLINE_HOLD_MS, respond, type Arrival } from './responder.ts';
import { clientPacket } from './test-packets.ts';
import { harness, on67, proxySpec, server, specFor, T0 } from './test-harness.ts';

const type = (p: DhcpPacket | undefined) => (p ? getMessageType(p.options) : undefined);

test('answers DISCOVER with an OFFER of the lowest free address and the subnet options', () => {
  const r = harness().send('discover');
  const p = r.reply?.packet;
  assert.equal(type(p), MessageType.offer);
  assert.equal(p?.yiaddr, '192.168.100.10');
  assert.equal(getAddress(p!.options, Opt.serverId), '192.168.100.1');
  assert.equal(getAddress(p!.options, Opt.subnetMask), '255.255.255.0');
  assert.deepEqual(getAddresses(p!.options, Opt.router), ['192.168.100.254']);
  assert.deepEqual(getAddresses(p!.options, Opt.dns), ['192.168.100.53']);
  assert.equal(getUint32(p!.options, Opt.leaseTime), 3600);
  assert.equal(getUint32(p!.options, Opt.renewalTime), 1800);
  assert.equal(getUint32(p!.options, Opt.rebindingTime), 3150);
  assert.deepEqual([r.reply?.address, r.reply?.port], ['255.255.255.255', 68]);
  assert.deepEqual(r.events.map((e) => e.event), ['discover', 'offer']);
  assert.equal(p?.file, '');
});

test('ACKs a REQUEST for the offered address and binds the lease', () => {
  const h = harness();
  const ip = h.lease('02:00:00:00:00:01');
  assert.equal(ip, '192.168.100.10');
  assert.equal(h.table.get(ip)?.state, 'bound');
  assert.equal(h.table.get(ip)?.expiresAt, T0 + 3600_000);
});

test('never gives one address to two clients, and runs out cleanly', () => {
  const h = harness();
  const ips = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'].map((mac) => h.lease(mac));
  assert.deepEqual(ips, ['192.168.100.10', '192.168.100.11', '192.168.100.12']);
  const full = h.send('discover', { mac: '02:00:00:00:00:04' });
  assert.equal(full.reply, undefined);
  assert.match(full.dropped ?? '', /no free address/);
  // An offer also reserves: a second DISCOVER from another client gets another address.
  const h2 = harness();
  const a = h2.send('discover', { mac: '02:00:00:00:00:01' }).reply?.packet.yiaddr;
  const b = h2.send('discover', { mac: '02:00:00:00:00:02' }).reply?.packet.yiaddr;
  assert.notEqual(a, b);
});

test('a client keeps its address; client-id wins over chaddr', () => {
  const h = harness();
  h.lease('02:00:00:00:00:01');
  const second = h.lease('02:00:00:00:00:02');
  assert.equal(h.send('discover', { mac: '02:00:00:00:00:02' }).reply?.packet.yiaddr, second);
  const id = Buffer.from('01aabbcc', 'hex');
  const withId = h.send('discover', { mac: '02:00:00:00:00:09', clientId: id });
  h.send('request', { mac: '02:00:00:00:00:09', clientId: id, requested: withId.reply!.packet.yiaddr, serverId: '192.168.100.1' });
  // Same client id from another NIC: same lease.
  assert.equal(h.send('discover', { mac: '02:00:00:00:00:0a', clientId: id }).reply?.packet.yiaddr, withId.reply?.packet.yiaddr);
});

test('honours the requested address when it is free, and reuses expired leases', () => {
  const h = harness();
  assert.equal(h.send('discover', { mac: '02:00:00:00:00:01', requested: '192.168.100.12' }).reply?.packet.yiaddr, '192.168.100.12');
  const h2 = harness();
  for (const m of ['01', '02', '03']) h2.lease(`02:00:00:00:00:${m}`);
  const later = T0 + 3601_000;
  const r = h2.send('discover', { mac: '02:00:00:00:00:04' }, on67, later);
  assert.equal(r.reply?.packet.yiaddr, '192.168.100.10');
});

test('NAKs a REQUEST for an address held by another client or outside the range', () => {
  const h = harness();
  const ip = h.lease('02:00:00:00:00:01');
  const taken = h.send('request', { mac: '02:00:00:00:00:02', requested: ip });
  assert.equal(type(taken.reply?.packet), MessageType.nak);
  assert.match(getString(taken.reply!.packet.options, Opt.message) ?? '', /leased to another client/);
  assert.equal(taken.reply?.address, '255.255.255.255');
  const outside = h.send('request', { mac: '02:00:00:00:00:02', requested: '10.0.0.5' });
  assert.equal(type(outside.reply?.packet), MessageType.nak);
  assert.equal(outside.reply?.packet.yiaddr, '0.0.0.0');
});

test('ignores a REQUEST naming another server and frees its offer', () => {
  const h = harness();
  h.send('discover', { mac: '02:00:00:00:00:01' });
  assert.equal(h.table.get('192.168.100.10')?.state, 'offered');
  const r = h.send('request', { mac: '02:00:00:00:00:01', requested: '192.168.100.10', serverId: '192.168.100.99' });
  assert.equal(r.reply, undefined);
  assert.match(r.dropped ?? '', /server 192\.168\.100\.99/);
  assert.equal(h.table.get('192.168.100.10'), undefined);
});

test('renews by unicast to ciaddr, and answers init-reboot for a known lease', () => {
  const h = harness();
  const ip = h.lease('02:00:00:00:00:01');
  const renew = h.send('request', { mac: '02:00:00:00:00:01', ciaddr: ip }, { port: 67, sourceAddress: ip, sourcePort: 68 }, T0 + 1000_000);
  assert.equal(type(renew.reply?.packet), MessageType.ack);
  assert.deepEqual([renew.reply?.address, renew.reply?.port, renew.reply?.packet.ciaddr], [ip, 68, ip]);
  assert.equal(h.table.get(ip)?.expiresAt, T0 + 1000_000 + 3600_000);
  const reboot = h.send('request', { mac: '02:00:00:00:00:01', requested: ip });
  assert.equal(type(reboot.reply?.packet), MessageType.ack);
});

test('DECLINE keeps the address out of the pool for a while; RELEASE frees it', () => {
  const h = harness();
  const ip = h.lease('02:00:00:00:00:01');
  assert.equal(h.send('decline', { mac: '02:00:00:00:00:01', requested: ip, serverId: '192.168.100.1' }).reply, undefined);
  assert.equal(h.table.get(ip)?.state, 'declined');
  assert.equal(h.send('discover', { mac: '02:00:00:00:00:01' }).reply?.packet.yiaddr, '192.168.100.11');
  assert.equal(h.lease('02:00:00:00:00:02'), '192.168.100.12');
  assert.equal(h.send('discover', { mac: '02:00:00:00:00:05' }, on67, T0 + DECLINE_HOLD_MS + 1).reply?.packet.yiaddr, ip);

  const h2 = harness();
  const held = h2.lease('02:00:00:00:00:01');
  h2.send('release', { mac: '02:00:00:00:00:01', ciaddr: held }, { port: 67, sourceAddress: held, sourcePort: 68 }, T0 + 5);
  for (const m of ['02', '03']) h2.lease(`02:00:00:00:00:${m}`, T0 + 10);
  // Only the released address is left, and another client may have it.
  assert.equal(h2.lease('02:00:00:00:00:04', T0 + 20), held);
});

test('answers INFORM with an ACK without a lease', () => {
  const r = harness().send('inform', { mac: '02:00:00:00:00:07', ciaddr: '192.168.100.77' });
  const p = r.reply?.packet;
  assert.equal(type(p), MessageType.ack);
  assert.equal(p?.yiaddr, '0.0.0.0');
  assert.equal(p?.options.has(Opt.leaseTime), false);
  assert.equal(r.reply?.address, '192.168.100.77');
  assert.deepEqual(r.changes, []);
});

test('puts the boot file in file and option 67 for PXE clients, by architecture', () => {
  const h = harness();
  const bios = h.send('discover', { mac: '02:00:00:00:00:01', arch: 0 }).reply!.packet;
  assert.equal(bios.file, 'ipxe/undionly.kpxe');
  assert.equal(getString(bios.options, Opt.bootfile), 'ipxe/undionly.kpxe');
  assert.equal(bios.siaddr, '192.168.100.1');
  assert.equal(getString(bios.options, Opt.tftpServer), '192.168.100.1');
  assert.equal(getString(bios.options, Opt.vendorClass), 'PXEClient');
  const efi = h.send('discover', { mac: '02:00:00:00:00:02', arch: 7 }).reply!.packet;
  assert.equal(efi.file, 'ipxe/ipxe.efi');
  const http = h.send('discover', { mac: '02:00:00:00:00:03', arch: 16, vendorClass: 'HTTPClient:Arch:00016:UNDI:003000' }).reply!.packet;
  assert.equal(getString(http.options, Opt.bootfile), 'http://192.168.100.1:8080/ipxe/ipxe.efi');
  assert.equal(getString(http.options, Opt.vendorClass), 'HTTPClient');
});

test('reads the architecture from option 60 when option 93 is missing', () => {
  const r = harness().send('discover', { vendorClass: 'PXEClient:Arch:00007:UNDI:003016' });
  assert.equal(r.reply?.packet.file, 'ipxe/ipxe.efi');
  assert.equal(r.events[0]?.arch, 'efi-x64');
});

test('detects iPXE by option 175 and by a plain "iPXE" user class, and hands it the script URL', () => {
  const h = harness();
  const by175 = h.send('discover', { mac: 'de:00:00:00:00:de', arch: 7, ipxe: true }).reply!.packet;
  assert.equal(getString(by175.options, Opt.bootfile), 'http://192.168.100.1:8080/boot.ipxe?mac=de%3A00%3A00%3A00%3A00%3Ade&arch=efi-x64');
  const byClass = h.send('discover', { mac: '02:00:00:00:00:02', arch: 0, userClass: Buffer.from('iPXE') });
  assert.match(getString(byClass.reply!.packet.options, Opt.bootfile) ?? '', /^http:\/\/.*boot\.ipxe\?mac=02%3A00/);
  assert.equal(byClass.events[0]?.ipxe, true);
});

test('echoes option 97 to PXE clients and adds PXE discovery control to option 43', () => {
  const id = Buffer.concat([Buffer.from([0]), Buffer.alloc(16, 0xab)]);
  const p = harness().send('discover', { arch: 0, machineId: id }).reply!.packet;
  assert.deepEqual(p.options.get(Opt.clientMachineId), id);
  assert.deepEqual(getVendorSubOptions(p.options)?.get(6), Buffer.from([8]));
});

test('gives an address but no boot file to an architecture without one, saying why', () => {
  const r = harness().send('discover', { arch: 6 });
  assert.equal(r.reply?.packet.yiaddr, '192.168.100.10');
  assert.equal(r.reply?.packet.file, '');
  assert.equal(r.reply?.packet.options.has(Opt.bootfile), false);
  const note = r.events.find((e) => e.event === 'no-boot-file');
  assert.match(note?.reason ?? '', /no boot file for architecture efi-ia32/);
});

test('answers relayed requests to giaddr port 67 when giaddr is in the subnet, else not at all', () => {
  const h = harness();
  const relayed = h.send('discover', { giaddr: '192.168.100.2' });
  assert.deepEqual([relayed.reply?.address, relayed.reply?.port, relayed.reply?.packet.giaddr], ['192.168.100.2', 67, '192.168.100.2']);
  assert.equal(relayed.reply?.packet.yiaddr, '192.168.100.10');
  const foreign = h.send('discover', { giaddr: '10.0.0.1' });
  assert.equal(foreign.reply, undefined);
  assert.match(foreign.dropped ?? '', /outside this server's subnet/);
});

test('offers no address in proxy mode, only the boot fields', () => {
  const h = harness(proxySpec);
  const id = Buffer.concat([Buffer.from([0]), Buffer.alloc(16, 1)]);
  const r = h.send('discover', { arch: 7, machineId: id });
  const p = r.reply!.packet;
  assert.equal(type(p), MessageType.offer);
  assert.equal(p.yiaddr, '0.0.0.0');
  for (const code of [Opt.subnetMask, Opt.router, Opt.dns, Opt.leaseTime]) assert.equal(p.options.has(code), false, `option ${code}`);
  assert.equal(p.siaddr, '192.168.100.1');
  assert.equal(p.file, 'ipxe/ipxe.efi');
  assert.equal(getAddress(p.options, Opt.serverId), '192.168.100.1');
  assert.equal(getString(p.options, Opt.vendorClass), 'PXEClient');
  assert.deepEqual(getVendorSubOptions(p.options)?.get(6), Buffer.from([8]));
  assert.deepEqual(p.options.get(Opt.clientMachineId), id);
  assert.equal(r.events.at(-1)?.event, 'proxy-offer');
  assert.deepEqual(r.changes, []);
});

test('ignores non-PXE clients and REQUESTs on port 67 in proxy mode', () => {
  const h = harness(proxySpec);
  const plain = h.send('discover');
  assert.equal(plain.reply, undefined);
  assert.match(plain.dropped ?? '', /not a PXE client/);
  assert.equal(h.send('request', { arch: 7, requested: '192.168.100.50', serverId: '192.168.100.254' }).reply, undefined);
});

test('answers a port-4011 REQUEST with an ACK to the source address and port', () => {
  for (const spec of [proxySpec, server]) {
    const h = harness(spec);
    const from: Arrival = { port: 4011, sourceAddress: '192.168.100.50', sourcePort: 68 };
    const r = h.send('request', { arch: 7, ipxe: true, ciaddr: '192.168.100.50', mac: 'de:00:00:00:00:de' }, from);
    const p = r.reply!.packet;
    assert.equal(type(p), MessageType.ack);
    assert.deepEqual([r.reply?.address, r.reply?.port], ['192.168.100.50', 68]);
    assert.equal(p.yiaddr, '0.0.0.0');
    assert.match(getString(p.options, Opt.bootfile) ?? '', /boot\.ipxe\?mac=de%3A00/);
    assert.equal(r.events.at(-1)?.event, 'proxy-ack');
    assert.equal(r.events.at(-1)?.ip, '192.168.100.50');
    assert.equal(h.send('request', {}, from).reply, undefined);
  }
});

test('drops malformed or irrelevant packets with a reason', () => {
  const h = harness();
  const reply = clientPacket('discover');
  reply.op = 2;
  assert.match(respond(server, h.table, reply, on67, T0).dropped ?? '', /expected op 1/);
  const noType = clientPacket('discover');
  noType.options.delete(Opt.messageType);
  assert.match(respond(server, h.table, noType, on67, T0).dropped ?? '', /option 53/);
  const badHlen = clientPacket('discover');
  badHlen.hlen = 4;
  badHlen.chaddr = badHlen.chaddr.subarray(0, 4);
  assert.match(respond(server, h.table, badHlen, on67, T0).dropped ?? '', /hlen 6/);
  const offer = clientPacket('discover');
  offer.options.set(Opt.messageType, Buffer.from([MessageType.offer]));
  assert.match(respond(server, h.table, offer, on67, T0).dropped ?? '', /client message/);
});

test('a reply to a relayed request carries option 82 back; an unrelayed one never does', () => {
  const agent = Buffer.from([1, 3, 0x61, 0x62, 0x63]);
  const relayed = clientPacket('discover', { giaddr: '192.168.100.2' });
  relayed.options.set(Opt.relayAgentInfo, agent);
  const r = respond(server, harness().table, relayed, on67, T0);
  assert.deepEqual(r.reply?.packet.options.get(Opt.relayAgentInfo), agent);
  assert.deepEqual([r.reply?.address, r.reply?.port], ['192.168.100.2', 67]);
  const direct = clientPacket('discover');
  direct.options.set(Opt.relayAgentInfo, agent);
  assert.equal(respond(server, harness().table, direct, on67, T0).reply?.packet.options.has(Opt.relayAgentInfo), false);
});

test('x64 UEFI firmware whose selected image has secureBoot is sent shim; iPXE and other hosts are not', () => {
  const spec = specFor({ mode: 'server', range: '192.168.100.10-192.168.100.12' });
  spec.images = [{ name: 'signed', kernel: 'signed/vmlinuz', initrd: [], cmdline: '', secureBoot: true }, { name: 'plain', kernel: 'p/vmlinuz', initrd: [], cmdline: '' }];
  spec.hosts = [{ selector: { mac: '02:00:00:00:00:01' }, image: 'signed' }];
  spec.defaultImage = 'plain';
  const file = (mac: string, ipxe = false) => respond(spec, harness(spec).table, clientPacket('discover', { mac, arch: 7, ipxe }), on67, T0).reply?.packet.file;
  assert.equal(file('02:00:00:00:00:01'), 'signed/shimx64.efi');
  assert.equal(file('02:00:00:00:00:02'), 'ipxe/ipxe.efi');
  assert.match(file('02:00:00:00:00:01', true) ?? '', /^http:\/\/192\.168\.100\.1:8080\/boot\.ipxe\?/);
});

test('arm64 UEFI clients get the arm64 network GRUB: code 11 over TFTP, code 19 (HTTP boot) as an http URL, x86 answers unchanged', () => {
  const h = harness();
  const pxe = h.send('discover', { mac: '02:00:00:00:00:11', arch: 11, vendorClass: 'PXEClient:Arch:00011:UNDI:003000' });
  assert.equal(pxe.reply?.packet.file, 'arm64/grubaa64.efi');
  assert.equal(getString(pxe.reply!.packet.options, Opt.vendorClass), 'PXEClient');
  assert.equal(pxe.events[0]?.arch, 'efi-arm64');
  const http = h.send('discover', { mac: '02:00:00:00:00:13', arch: 19, vendorClass: 'HTTPClient:Arch:00019:UNDI:003000' }).reply!.packet;
  assert.equal(getString(http.options, Opt.bootfile), 'http://192.168.100.1:8080/arm64/grubaa64.efi');
  assert.equal(getString(http.options, Opt.vendorClass), 'HTTPClient');
  assert.equal(h.send('discover', { mac: '02:00:00:00:00:07', arch: 7 }).reply?.packet.file, 'ipxe/ipxe.efi');
});
