// The responder against a hostile segment (issue 13): DECLINE and RELEASE only from the lease
// holder, proxy and port-4011 answers only to the client or a configured relay, and a DISCOVER
// flood that cannot starve a real client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getMessageType, MessageType } from './options.ts';
import type { Arrival } from './responder.ts';
import { harness, on67, proxySpec, specFor, T0 } from './test-harness.ts';

const HOLDER = '02:00:00:00:00:01';
const ATTACKER = '02:66:66:66:66:66';

test('drops a DECLINE of a bound address from another MAC or client-id', () => {
  const h = harness();
  const ip = h.lease(HOLDER);
  const r = h.send('decline', { mac: ATTACKER, requested: ip, serverId: '192.168.100.1' });
  assert.match(r.dropped ?? '', /decline of 192\.168\.100\.10, which is not leased or offered to this client/);
  assert.equal(h.table.get(ip)?.state, 'bound');
  // Same MAC but another client-id: the client-id is the identity the lease was made with.
  const h2 = harness();
  const id = Buffer.from('01aabbcc', 'hex');
  const offer = h2.send('discover', { mac: HOLDER, clientId: id }).reply!.packet;
  h2.send('request', { mac: HOLDER, clientId: id, requested: offer.yiaddr, serverId: '192.168.100.1' });
  h2.send('decline', { mac: HOLDER, clientId: Buffer.from('01ddeeff', 'hex'), requested: offer.yiaddr });
  assert.equal(h2.table.get(offer.yiaddr)?.state, 'bound');
});

test('drops a DECLINE of a free address, so declines cannot drain the pool', () => {
  const h = harness();
  for (const ip of ['192.168.100.10', '192.168.100.11', '192.168.100.12']) {
    assert.match(h.send('decline', { mac: ATTACKER, requested: ip }).dropped ?? '', /not leased or offered/);
  }
  assert.equal(h.lease(HOLDER), '192.168.100.10');
});

test('drops a RELEASE from another MAC or for another address than its lease', () => {
  const h = harness();
  const ip = h.lease(HOLDER);
  const other = h.lease('02:00:00:00:00:02');
  const from: Arrival = { port: 67, sourceAddress: ip, sourcePort: 68 };
  assert.match(h.send('release', { mac: ATTACKER, ciaddr: ip }, from).dropped ?? '', /not this client's lease/);
  assert.match(h.send('release', { mac: HOLDER, ciaddr: other }, from).dropped ?? '', /not this client's lease/);
  assert.equal(h.table.get(ip)?.expiresAt, T0 + 3600_000);
  assert.equal(h.table.get(other)?.expiresAt, T0 + 3600_000);
});

test('a DISCOVER flood from many MACs reclaims the oldest offer, and a real client still binds', () => {
  const h = harness();
  for (let i = 0; i < 50; i++) h.send('discover', { mac: `02:aa:00:00:00:${i.toString(16).padStart(2, '0')}`, requested: `10.${i}.0.1` });
  assert.equal(h.table.sizes().leases, 3, 'only range addresses are kept');
  const ip = h.lease(HOLDER);
  assert.equal(h.table.get(ip)?.state, 'bound');
  assert.equal(h.table.get(ip)?.mac, HOLDER);
});

test('keeps at most maxOffers offers whatever the range size', () => {
  const h = harness(specFor({ mode: 'server', range: '192.168.100.10-192.168.100.250' }), { maxOffers: 16 });
  for (let i = 0; i < 200; i++) h.send('discover', { mac: `02:aa:00:00:00:${i.toString(16).padStart(2, '0')}` });
  assert.deepEqual([h.table.sizes().leases, h.table.sizes().offers], [16, 16]);
});

test('answers proxy DISCOVERs relayed only through a configured relay', () => {
  const relayed = { arch: 7, giaddr: '10.9.9.9' };
  const refused = harness(proxySpec).send('discover', relayed);
  assert.equal(refused.reply, undefined);
  assert.match(refused.dropped ?? '', /relayed through 10\.9\.9\.9, not one of dhcp\.relays \[\]/);
  const allowed = harness(specFor({ mode: 'proxy', relays: ['10.9.9.9'] })).send('discover', relayed);
  assert.deepEqual([allowed.reply?.address, allowed.reply?.port], ['10.9.9.9', 67]);
});

test('answers port 4011 only to the client on this subnet, from its own address, or to a configured relay', () => {
  const req = { arch: 7, ipxe: true, mac: 'de:00:00:00:00:de' };
  const at = (sourceAddress: string): Arrival => ({ port: 4011, sourceAddress, sourcePort: 4011 });
  const h = harness(proxySpec);
  assert.match(h.send('request', req, at('8.8.8.8')).dropped ?? '', /source 8\.8\.8\.8 is outside this server's subnet/);
  assert.match(h.send('request', { ...req, ciaddr: '192.168.100.60' }, at('192.168.100.50')).dropped ?? '', /differs from ciaddr/);
  assert.match(h.send('request', { ...req, giaddr: '192.168.100.7' }, at('192.168.100.7')).dropped ?? '', /not one of dhcp\.relays/);
  assert.equal(getMessageType(h.send('request', req, at('192.168.100.50')).reply!.packet.options), MessageType.ack);
  const viaRelay = harness(specFor({ mode: 'proxy', relays: ['10.9.9.9'] })).send('request', { ...req, giaddr: '10.9.9.9', ciaddr: '10.1.0.5' }, at('10.9.9.9'));
  assert.deepEqual([viaRelay.reply?.address, viaRelay.reply?.port], ['10.9.9.9', 4011]);
});

test('never unicasts to a ciaddr outside the subnet', () => {
  const h = harness();
  const r = h.send('inform', { ciaddr: '8.8.8.8' }, on67);
  assert.deepEqual([r.reply?.address, r.reply?.port], ['255.255.255.255', 68]);
});
