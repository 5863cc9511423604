// Property-based checks: decode fails only with DhcpDecodeError, encode∘decode is the
// identity, and the responder never throws on a packet that decoded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validatePxeServerSpec, type PxeServerSpec } from '../../resources/pxe-server.ts';
import { decode, DhcpDecodeError, encode, HEADER_LENGTH, MAGIC_COOKIE, type DhcpPacket } from './codec.ts';
import { LeaseTable } from './leases.ts';
import { Opt } from './options.ts';
import { respond, type Arrival } from './responder.ts';

function spec(dhcp: Record<string, unknown>): PxeServerSpec {
  const { value } = validatePxeServerSpec({ interface: 'br0', address: '192.168.100.1/24', root: '/srv', dhcp });
  assert.ok(value);
  return value;
}
const specs = [spec({ mode: 'server', range: '192.168.100.10-192.168.100.14' }), spec({ mode: 'proxy' })];

const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const nearIp = fc.oneof(ip, fc.integer({ min: 0, max: 20 }).map((n) => `192.168.100.${n}`), fc.constant('0.0.0.0'));
const latin1 = (max: number) => fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: max }).map((codes) => String.fromCharCode(...codes));
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

/** Interesting option values: the ones pxevirt reads, with valid and odd contents. */
const optionEntry: fc.Arbitrary<[number, Buffer]> = fc.oneof(
  fc.tuple(fc.constant(Opt.messageType), fc.oneof(fc.integer({ min: 0, max: 10 }).map((n) => Buffer.from([n])), bytes(3))),
  fc.tuple(fc.constantFrom(Opt.requestedAddress, Opt.serverId), fc.oneof(nearIp.map((a) => Buffer.from(a.split('.').map(Number))), bytes(6))),
  fc.tuple(fc.constant(Opt.clientArch), fc.oneof(fc.constantFrom(0, 6, 7, 9, 11, 16, 19, 4242).map((n) => Buffer.from([n >> 8, n & 255])), bytes(5))),
  fc.tuple(fc.constant(Opt.vendorClass), fc.oneof(fc.constantFrom('PXEClient', 'PXEClient:Arch:00007:UNDI:003016', 'HTTPClient:Arch:00016', 'PXEClient:Arch:9x').map((s) => Buffer.from(s)), bytes(40))),
  fc.tuple(fc.constantFrom(Opt.userClass, Opt.ipxeEncap, Opt.clientMachineId, Opt.clientId, Opt.hostname, Opt.parameterList), bytes(300)),
  fc.tuple(fc.integer({ min: 1, max: 254 }).filter((c) => c !== 52), bytes(20)),
);

const packet: fc.Arbitrary<DhcpPacket> = fc
  .record({
    op: fc.constantFrom(1, 1, 1, 2, 0, 7),
    htype: fc.constantFrom(1, 1, 6, 0),
    hlen: fc.integer({ min: 0, max: 16 }),
    hops: fc.nat(255),
    xid: fc.nat(0xffffffff),
    secs: fc.nat(0xffff),
    flags: fc.constantFrom(0, 0x8000, 0xffff),
    ciaddr: nearIp,
    yiaddr: ip,
    siaddr: ip,
    giaddr: fc.oneof(fc.constant('0.0.0.0'), nearIp),
    chaddrBytes: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    sname: latin1(63),
    file: latin1(127),
    options: fc.array(optionEntry, { maxLength: 12 }),
  })
  .map((r) => ({
    op: r.op, htype: r.htype, hlen: r.hlen, hops: r.hops, xid: r.xid, secs: r.secs, flags: r.flags,
    ciaddr: r.ciaddr, yiaddr: r.yiaddr, siaddr: r.siaddr, giaddr: r.giaddr,
    chaddr: Buffer.from(r.chaddrBytes.subarray(0, r.hlen)),
    sname: r.sname, file: r.file,
    options: new Map(r.options),
  }));

/** Well-formed requests from three clients for the range's addresses: where lease bugs show. */
const plausible: fc.Arbitrary<DhcpPacket> = fc
  .record({
    base: packet,
    mac: fc.nat(2),
    type: fc.integer({ min: 1, max: 8 }),
    requested: fc.option(fc.integer({ min: 9, max: 15 })),
    server: fc.option(fc.constantFrom('192.168.100.1', '192.168.100.99')),
    ciaddr: fc.option(fc.integer({ min: 9, max: 15 })),
  })
  .map(({ base, mac, type, requested, server, ciaddr }) => {
    const options = new Map(base.options);
    options.set(Opt.messageType, Buffer.from([type]));
    if (requested === null) options.delete(Opt.requestedAddress);
    else options.set(Opt.requestedAddress, Buffer.from([192, 168, 100, requested]));
    if (server === null) options.delete(Opt.serverId);
    else options.set(Opt.serverId, Buffer.from(server.split('.').map(Number)));
    return { ...base, op: 1, htype: 1, hlen: 6, chaddr: Buffer.from([2, 0, 0, 0, 0, mac]), giaddr: '0.0.0.0', ciaddr: ciaddr === null ? '0.0.0.0' : `192.168.100.${ciaddr}`, options };
  });

const arrival: fc.Arbitrary<Arrival> = fc.record({ port: fc.constantFrom(67 as const, 4011 as const), sourceAddress: nearIp, sourcePort: fc.constantFrom(68, 4011, 40000) });

function decodesOrRefuses(b: Buffer): void {
  try {
    decode(b);
  } catch (err) {
    if (!(err instanceof DhcpDecodeError)) throw err;
  }
}

test('decode throws nothing but DhcpDecodeError on arbitrary bytes', () => {
  fc.assert(fc.property(bytes(1500), (b) => decodesOrRefuses(b)), { numRuns: 2000 });
});

test('decode throws nothing but DhcpDecodeError on a valid header followed by arbitrary options', () => {
  const withHeader = fc.tuple(fc.uint8Array({ minLength: 236, maxLength: 236 }), bytes(600)).map(([h, o]) => {
    const b = Buffer.alloc(HEADER_LENGTH + o.length);
    Buffer.from(h).copy(b);
    b.writeUInt32BE(MAGIC_COOKIE, 236);
    o.copy(b, HEADER_LENGTH);
    return b;
  });
  fc.assert(fc.property(withHeader, (b) => decodesOrRefuses(b)), { numRuns: 3000 });
});

test('encode then decode gives back the packet', () => {
  fc.assert(
    fc.property(packet, (p) => {
      assert.deepEqual(decode(encode(p)), p);
    }),
    { numRuns: 1000 },
  );
});

test('the responder never throws on a decoded packet, in any mode, with any lease state', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.oneof(packet, plausible, plausible), arrival, fc.nat(4)), { minLength: 1, maxLength: 40 }), fc.boolean(), (steps, proxy) => {
      const table = new LeaseTable();
      let now = 1_700_000_000_000;
      for (const [p, a, advance] of steps) {
        const decoded = decode(encode(p));
        const r = respond(specs[proxy ? 1 : 0]!, table, decoded, a, now);
        const ackedIp = r.reply && r.reply.packet.options.get(Opt.messageType)?.[0] === 5 ? r.reply.packet.yiaddr : '0.0.0.0';
        const before = table.get(ackedIp);
        table.apply(r.changes);
        if (r.reply) encode(r.reply.packet); // the reply is always encodable
        if (ackedIp !== '0.0.0.0') {
          // An ACKed address is bound to the asker, and never taken from another live client.
          const after = table.get(ackedIp);
          assert.equal(after?.state, 'bound');
          if (before && before.state !== 'offered' && before.expiresAt > now) {
            assert.ok(before.mac === after?.mac || (before.clientId !== undefined && before.clientId === after?.clientId), `address ${ackedIp} moved from ${before.mac} to ${after?.mac}`);
          }
        }
        now += advance * 30_000;
      }
    }),
    { numRuns: 500 },
  );
});
