import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, decodeIaNa, decodeStatus, decodeStrings, Dhcp6Option, Dhcp6Status, Dhcp6Type, type Dhcp6Message } from './codec.ts';
import { parseClient, macFromLinkLocal } from './client.ts';
import { Bindings6 } from './leases.ts';
import { respond6, type Dhcp6Config } from './responder.ts';
import { clientMessage, duidLl, type ClientMessage } from './test-packets.ts';
import { formatIpv6, ipv6FromBytes, parseCidr6, parseRange6 } from '../../lib/ipv6.ts';

const MAC = 'de:00:00:00:00:66';
const SERVER_DUID = duidLl('02:00:00:00:00:01');
const cfg = (mode: 'stateful' | 'stateless' = 'stateful'): Dhcp6Config => ({
  mode,
  serverDuid: SERVER_DUID,
  server: parseCidr6('fd00:100::1/64')!,
  httpPort: 8080,
  tftpPort: 69,
  leaseSeconds: 600,
  dns: [],
});
const range = () => new Bindings6(parseRange6('fd00:100::10-fd00:100::12')!);

function ask(c: Dhcp6Config, b: Bindings6 | undefined, m: ClientMessage, now = 0, source = 'fe80::dc00:ff:fe00:66') {
  const r = respond6(c, b, parseClient(decode(clientMessage(m)), source), now);
  return { ...r, get: (code: number) => r.reply?.options.find((o) => o.code === code)?.data };
}
const iaAddress = (reply: Dhcp6Message | undefined) => {
  const ia = reply?.options.find((o) => o.code === Dhcp6Option.IaNa);
  const a = ia && decodeIaNa(ia.data).addresses[0];
  return a && formatIpv6(ipv6FromBytes(a.address));
};

test('stateful: Solicit gets an Advertise with an address and the boot file; Request commits it; Renew keeps it', () => {
  const b = range();
  const adv = ask(cfg(), b, { type: Dhcp6Type.Solicit, mac: MAC, iaids: [1], arch: 7 });
  assert.equal(adv.reply?.type, Dhcp6Type.Advertise);
  assert.equal(iaAddress(adv.reply), 'fd00:100::10');
  assert.equal(b.size, 0, 'an Advertise commits nothing');
  assert.equal(adv.get(Dhcp6Option.BootfileUrl)?.toString(), 'tftp://[fd00:100::1]/ipxe/ipxe.efi', 'UEFI PXE firmware is handed iPXE over TFTP');
  assert.equal(adv.get(Dhcp6Option.VendorClass), undefined, 'no PXEClient: EDK II would look for a boot server on port 4011');
  assert.deepEqual([...adv.get(Dhcp6Option.Preference)!], [255]);
  assert.ok(adv.get(Dhcp6Option.ServerId)?.equals(SERVER_DUID));
  assert.ok(adv.get(Dhcp6Option.ClientId)?.equals(duidLl(MAC)));

  const rep = ask(cfg(), b, { type: Dhcp6Type.Request, mac: MAC, serverId: SERVER_DUID, iaids: [1], requested: 'fd00:100::10', arch: 7 });
  assert.equal(rep.reply?.type, Dhcp6Type.Reply);
  assert.equal(iaAddress(rep.reply), 'fd00:100::10');
  assert.deepEqual(b.list(0).map((l) => [l.mac, l.ip]), [[MAC, 'fd00:100::10']]);
  const ia = decodeIaNa(rep.get(Dhcp6Option.IaNa)!);
  assert.deepEqual([ia.t1, ia.t2, ia.addresses[0]?.valid], [300, 480, 600]);

  const other = ask(cfg(), b, { type: Dhcp6Type.Solicit, mac: 'de:00:00:00:00:67', iaids: [1] });
  assert.equal(iaAddress(other.reply), 'fd00:100::11', 'a second client gets the next address');
  const renew = ask(cfg(), b, { type: Dhcp6Type.Renew, mac: MAC, serverId: SERVER_DUID, iaids: [1], requested: 'fd00:100::10' }, 100_000);
  assert.equal(iaAddress(renew.reply), 'fd00:100::10');
});

test('iPXE (user class "iPXE") gets its script URL; UEFI HTTP boot gets an http URL and vendor class HTTPClient', () => {
  const ipxe = ask(cfg(), range(), { type: Dhcp6Type.Solicit, mac: MAC, iaids: [1], arch: 7, userClass: 'iPXE' });
  assert.equal(ipxe.get(Dhcp6Option.BootfileUrl)?.toString(), `http://[fd00:100::1]:8080/boot.ipxe?mac=${encodeURIComponent(MAC)}&arch=efi-x64`);
  const http = ask(cfg(), range(), { type: Dhcp6Type.Solicit, mac: MAC, iaids: [1], arch: 16 });
  assert.equal(http.get(Dhcp6Option.BootfileUrl)?.toString(), 'http://[fd00:100::1]:8080/ipxe/ipxe.efi');
  assert.deepEqual(decodeStrings(http.get(Dhcp6Option.VendorClass)!, 4), ['HTTPClient']);
  const none = ask(cfg(), range(), { type: Dhcp6Type.Solicit, mac: MAC, iaids: [1] });
  assert.equal(none.get(Dhcp6Option.BootfileUrl), undefined, 'no architecture and no ORO 59: no boot file');
  const unknown = ask(cfg(), range(), { type: Dhcp6Type.Solicit, mac: MAC, iaids: [1], arch: 0x99 });
  assert.equal(unknown.get(Dhcp6Option.BootfileUrl), undefined);
  assert.match(unknown.events.at(-1)?.reason ?? '', /expected a known client architecture \(option 61\), found 153/);
});

test('stateless: Information-request gets the boot file and no address; a Solicit for addresses is told NoAddrsAvail', () => {
  const info = ask(cfg('stateless'), undefined, { type: Dhcp6Type.InformationRequest, mac: MAC, arch: 7, userClass: 'iPXE' });
  assert.equal(info.reply?.type, Dhcp6Type.Reply);
  assert.equal(info.get(Dhcp6Option.IaNa), undefined);
  assert.match(info.get(Dhcp6Option.BootfileUrl)?.toString() ?? '', /^http:\/\/\[fd00:100::1\]:8080\/boot\.ipxe\?/);
  const sol = ask(cfg('stateless'), undefined, { type: Dhcp6Type.Solicit, mac: MAC, iaids: [1], arch: 7 });
  assert.equal(decodeStatus(sol.get(Dhcp6Option.StatusCode)!).code, Dhcp6Status.NoAddrsAvail);
  const withRange = ask(cfg('stateless'), range(), { type: Dhcp6Type.Solicit, mac: MAC, iaids: [1], arch: 16 });
  assert.equal(iaAddress(withRange.reply), 'fd00:100::10', 'stateless with a range still leases to firmware that asks (UEFI always sends IA_NA)');
});

test('the range runs out: NoAddrsAvail inside the IA; expired bindings are reused', () => {
  const b = range();
  for (let i = 0; i < 3; i++) ask(cfg(), b, { type: Dhcp6Type.Request, mac: `de:00:00:00:01:0${i}`, serverId: SERVER_DUID, iaids: [1] });
  const full = ask(cfg(), b, { type: Dhcp6Type.Request, mac: MAC, serverId: SERVER_DUID, iaids: [1] });
  assert.equal(decodeIaNa(full.get(Dhcp6Option.IaNa)!).status?.code, Dhcp6Status.NoAddrsAvail);
  const later = ask(cfg(), b, { type: Dhcp6Type.Request, mac: MAC, serverId: SERVER_DUID, iaids: [1] }, 601_000);
  assert.ok(iaAddress(later.reply)?.startsWith('fd00:100::1'), 'an expired binding was reused');
  assert.equal(b.size, 3, 'the table never grows past the range');
});

test('Release frees the address; Confirm says whether addresses are on this link', () => {
  const b = range();
  ask(cfg(), b, { type: Dhcp6Type.Request, mac: MAC, serverId: SERVER_DUID, iaids: [1] });
  const rel = ask(cfg(), b, { type: Dhcp6Type.Release, mac: MAC, serverId: SERVER_DUID, iaids: [1] });
  assert.equal(decodeStatus(rel.get(Dhcp6Option.StatusCode)!).code, Dhcp6Status.Success);
  assert.equal(b.size, 0);
  const on = ask(cfg(), b, { type: Dhcp6Type.Confirm, mac: MAC, iaids: [1], requested: 'fd00:100::99' });
  assert.equal(decodeStatus(on.get(Dhcp6Option.StatusCode)!).code, Dhcp6Status.Success);
  const off = ask(cfg(), b, { type: Dhcp6Type.Confirm, mac: MAC, iaids: [1], requested: 'fd00:200::99' });
  assert.equal(decodeStatus(off.get(Dhcp6Option.StatusCode)!).code, Dhcp6Status.NotOnLink);
});

test('drops what RFC 8415 says to drop, saying why', () => {
  const reasons = [
    ask(cfg(), range(), { type: Dhcp6Type.Solicit, iaids: [1] }),
    ask(cfg(), range(), { type: Dhcp6Type.Solicit, mac: MAC, serverId: SERVER_DUID, iaids: [1] }),
    ask(cfg(), range(), { type: Dhcp6Type.Request, mac: MAC, serverId: duidLl('02:00:00:00:00:99'), iaids: [1] }),
    ask(cfg(), range(), { type: Dhcp6Type.Advertise, mac: MAC }),
    ask(cfg(), range(), { type: Dhcp6Type.InformationRequest, mac: MAC, iaids: [1] }),
  ].map((r) => (assert.equal(r.reply, undefined), r.events.at(-1)?.reason));
  assert.deepEqual(reasons, [
    'expected a client identifier (option 1), found none',
    'expected no server identifier in solicit, found one',
    'addressed to another server (server identifier is not ours)',
    'expected a client message, found advertise',
    'expected no IA_NA in information-request, found one',
  ]);
});

test('the MAC comes from a DUID-LL, else from an EUI-64 link-local source', () => {
  assert.equal(parseClient(decode(clientMessage({ type: 1, mac: MAC })), '::1').mac, MAC);
  assert.equal(macFromLinkLocal('fe80::5054:ff:fe12:3456'), '52:54:00:12:34:56');
  assert.equal(macFromLinkLocal('fe80::1'), undefined);
  assert.equal(macFromLinkLocal('fd00::5054:ff:fe12:3456'), undefined);
});
