import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOTP_MIN_LENGTH, decode, DhcpDecodeError, encode, HEADER_LENGTH } from './codec.ts';
import {
  getAddress, getAddresses, getClientArches, getClientId, getClientNdi, getClientUuid, getMessageType, getParameterList, getString,
  getUint32, getUserClasses, getVendorSubOptions, MessageType, Opt, PXE_DISCOVERY_CONTROL_BOOT_FILE, userClassOption,
} from './options.ts';
import { clientPacket } from './test-packets.ts';

const discover = () => clientPacket('discover', { mac: 'de:00:00:00:00:de', arch: 7, hostname: 'node1', clientId: Buffer.from('01de00000000de', 'hex') });

/** A raw packet: a valid header with the given option bytes after the cookie. */
function raw(optionBytes: number[], patch: (b: Buffer) => void = () => {}): Buffer {
  const b = encode(clientPacket('discover'));
  const out = Buffer.concat([b.subarray(0, HEADER_LENGTH), Buffer.from(optionBytes)]);
  patch(out);
  return out;
}

test('round-trips a DISCOVER through encode and decode', () => {
  const p = discover();
  const back = decode(encode(p));
  assert.deepEqual(back, p);
  assert.equal(getMessageType(back.options), MessageType.discover);
  assert.deepEqual(getClientArches(back.options), [7]);
  assert.equal(getString(back.options, Opt.hostname), 'node1');
  assert.equal(getClientId(back.options), '01de00000000de');
  assert.deepEqual(getClientNdi(back.options), { type: 1, major: 3, minor: 16 });
  assert.ok(getParameterList(back.options)?.includes(175));
});

test('pads encoded packets to the 300-byte BOOTP minimum and ends options with 255', () => {
  const b = encode(clientPacket('discover'));
  assert.equal(b.length, BOOTP_MIN_LENGTH);
  assert.equal(b.readUInt32BE(236), 0x63825363);
  const big = clientPacket('discover');
  big.options.set(Opt.vendorClass, Buffer.alloc(200, 0x41));
  assert.ok(encode(big).length > BOOTP_MIN_LENGTH);
});

test('writes the fixed header fields at their RFC 2131 offsets', () => {
  const p = clientPacket('request', { xid: 0xdeadbeef, ciaddr: '10.1.2.3', giaddr: '10.9.9.9', flags: 0x8000 });
  p.sname = 'srv';
  p.file = 'ipxe/undionly.kpxe';
  const b = encode(p);
  assert.equal(b[0], 1);
  assert.equal(b.readUInt32BE(4), 0xdeadbeef);
  assert.equal(b.readUInt16BE(10), 0x8000);
  assert.deepEqual([...b.subarray(12, 16)], [10, 1, 2, 3]);
  assert.deepEqual([...b.subarray(24, 28)], [10, 9, 9, 9]);
  assert.equal(b.toString('latin1', 44, 47), 'srv');
  assert.equal(b.toString('latin1', 108, 108 + 18), 'ipxe/undionly.kpxe');
});

test('splits options longer than 255 bytes and concatenates repeats when decoding (RFC 3396)', () => {
  const p = clientPacket('discover');
  const long = Buffer.alloc(600, 7);
  p.options.set(Opt.userClass, long);
  const b = encode(p);
  assert.deepEqual(decode(b).options.get(Opt.userClass), long);
  const twice = raw([53, 1, 1, 12, 3, 0x61, 0x62, 0x63, 12, 2, 0x64, 0x65, 255]);
  assert.equal(getString(decode(twice).options, Opt.hostname), 'abcde');
});

test('reads options from file and sname when option 52 says so', () => {
  const b = raw([53, 1, 1, 52, 1, 3, 255], (buf) => {
    buf.set([60, 3, 0x50, 0x58, 0x45, 255], 108); // file: option 60 "PXE"
    buf.set([12, 2, 0x68, 0x31, 255], 44); // sname: option 12 "h1"
  });
  const p = decode(b);
  assert.equal(getString(p.options, Opt.vendorClass), 'PXE');
  assert.equal(getString(p.options, Opt.hostname), 'h1');
  assert.equal(p.file, '');
  assert.equal(p.sname, '');
  assert.equal(p.options.has(52), false);
});

test('tolerates pad options and a missing end option', () => {
  const p = decode(raw([0, 0, 53, 1, 3, 0, 50, 4, 10, 0, 0, 5]));
  assert.equal(getMessageType(p.options), MessageType.request);
  assert.equal(getAddress(p.options, Opt.requestedAddress), '10.0.0.5');
});

function decodeError(bytes: Buffer): DhcpDecodeError {
  try {
    decode(bytes);
  } catch (err) {
    assert.ok(err instanceof DhcpDecodeError, `expected DhcpDecodeError, found ${String(err)}`);
    return err;
  }
  assert.fail('expected decode to throw');
}

test('refuses truncated packets, naming the length expected and found', () => {
  const e = decodeError(encode(discover()).subarray(0, 100));
  assert.equal(e.offset, 100);
  assert.match(e.message, /expected at least 240 bytes .* found 100 bytes/);
});

test('refuses a bad magic cookie', () => {
  const e = decodeError(raw([53, 1, 1, 255], (b) => b.writeUInt32BE(0x01020304, 236)));
  assert.equal(e.offset, 236);
  assert.match(e.message, /expected magic cookie 0x63825363, found 0x01020304/);
});

test('refuses an option whose length runs past the end', () => {
  const e = decodeError(raw([53, 1, 1, 12, 10, 0x61, 0x62]));
  assert.equal(e.offset, HEADER_LENGTH + 4);
  assert.match(e.message, /option 12 of 10 bytes .* found 2 bytes left/);
  assert.match(decodeError(raw([53, 1, 1, 12])).message, /length of option 12/);
});

test('refuses hlen over 16 and a malformed overload option', () => {
  assert.match(decodeError(raw([53, 1, 1, 255], (b) => (b[2] = 17))).message, /expected hlen from 0 to 16, found 17/);
  assert.match(decodeError(raw([53, 1, 1, 52, 1, 9, 255])).message, /option 52/);
});

test('reads user class in RFC 3004 form and as the plain string iPXE sends', () => {
  const withClass = (v: Buffer) => new Map([[Opt.userClass, v]]);
  assert.deepEqual(getUserClasses(withClass(Buffer.from('iPXE'))), ['iPXE']);
  assert.deepEqual(getUserClasses(withClass(userClassOption(['iPXE', 'pxevirt']))), ['iPXE', 'pxevirt']);
  assert.deepEqual(getUserClasses(withClass(Buffer.from([4, 0x69, 0x50, 0x58, 0x45]))), ['iPXE']);
});

test('reads the PXE helpers: machine id, vendor sub-options, addresses and lease time', () => {
  const options = new Map<number, Buffer>([
    [Opt.clientMachineId, Buffer.concat([Buffer.from([0]), Buffer.from('5d307ca9b3ef428c886106e72d69f223', 'hex')])],
    [Opt.vendorSpecific, PXE_DISCOVERY_CONTROL_BOOT_FILE],
    [Opt.dns, Buffer.from([8, 8, 8, 8, 1, 1, 1, 1])],
    [Opt.leaseTime, Buffer.from([0, 0, 0x0e, 0x10])],
  ]);
  assert.equal(getClientUuid(options), '5d307ca9-b3ef-428c-8861-06e72d69f223');
  assert.deepEqual(getVendorSubOptions(options)?.get(6), Buffer.from([8]));
  assert.deepEqual(getAddresses(options, Opt.dns), ['8.8.8.8', '1.1.1.1']);
  assert.equal(getUint32(options, Opt.leaseTime), 3600);
  assert.equal(getClientUuid(new Map([[Opt.clientMachineId, Buffer.from([1, 2])]])), undefined);
});
