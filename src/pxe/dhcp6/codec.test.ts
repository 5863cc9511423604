import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decode, decodeIaNa, Dhcp6DecodeError, encode, encodeIaNa, MAX_MESSAGE_BYTES } from './codec.ts';
import { parseClient } from './client.ts';
import { clientMessage } from './test-packets.ts';

test('a message and an IA_NA round-trip', () => {
  const bytes = clientMessage({ type: 1, xid: 0xabcdef, mac: 'de:00:00:00:00:01', iaids: [7], requested: 'fd00::5', arch: 16, userClass: 'iPXE', oro: [59, 23] });
  const msg = decode(bytes);
  assert.equal(msg.xid, 0xabcdef);
  assert.deepEqual(encode(msg), bytes);
  const c = parseClient(msg, 'fe80::1');
  assert.deepEqual([c.arch, c.userClasses, c.oro, c.iaNa[0]?.iaid], [16, ['iPXE'], [59, 23], 7]);
  const ia = { iaid: 1, t1: 2, t2: 3, addresses: [{ address: Buffer.alloc(16, 1), preferred: 4, valid: 5 }], status: { code: 2, message: 'x' } };
  assert.deepEqual(decodeIaNa(encodeIaNa(ia)), ia);
});

test('malformed messages throw Dhcp6DecodeError naming what was wrong', () => {
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.from([1, 0, 0]), /expected at least 4 bytes, found 3/],
    [Buffer.from([0, 0, 0, 0]), /expected a message type from 1 to 36, found 0/],
    [Buffer.from([1, 0, 0, 0, 0, 1, 0, 9, 1]), /expected option 1 of 9 bytes, found 1/],
    [Buffer.from([1, 0, 0, 0, 0, 1]), /expected an option header of 4 bytes, found 2/],
    [Buffer.alloc(MAX_MESSAGE_BYTES + 1, 1), /expected at most 4096 bytes/],
    [Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.alloc(4 * 200)]), /expected at most 128 options/],
  ];
  for (const [bytes, re] of cases) assert.throws(() => decode(bytes), (e: unknown) => e instanceof Dhcp6DecodeError && re.test(e.message));
  assert.throws(() => parseClient(decode(Buffer.from([1, 0, 0, 0, 0, 1, 0, 1, 9])), '::'), /expected a DUID of 2 to 130 bytes/);
  assert.throws(() => parseClient(decode(Buffer.from([1, 0, 0, 0, 0, 3, 0, 2, 0, 0])), '::'), /expected IA_NA of at least 12 bytes/);
});

test('random bytes never throw anything but Dhcp6DecodeError', () => {
  for (let i = 0; i < 5000; i++) {
    const bytes = randomBytes(Math.floor(Math.random() * 200));
    if (i % 2 === 0 && bytes.length > 0) bytes[0] = 1 + (i % 13);
    try {
      parseClient(decode(bytes), 'fe80::1');
    } catch (err) {
      assert.ok(err instanceof Dhcp6DecodeError, `unexpected ${String(err)}`);
    }
  }
});
