import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode, encodeData, encodeError, TftpDecodeError, type TftpPacket } from './codec.ts';

const bytes = (...parts: Array<number | string>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p >> 8, p & 0xff]) : Buffer.from(`${p}\0`, 'utf8'))));

const rejects = (buf: Buffer, match: Partial<Pick<TftpDecodeError, 'offset' | 'expected' | 'found'>> & { text?: RegExp }) => {
  assert.throws(
    () => decode(buf),
    (err: unknown) => {
      assert.ok(err instanceof TftpDecodeError, `expected TftpDecodeError, found ${String(err)}`);
      if (match.offset !== undefined) assert.equal(err.offset, match.offset);
      if (match.expected !== undefined) assert.equal(err.expected, match.expected);
      if (match.found !== undefined) assert.equal(err.found, match.found);
      if (match.text) assert.match(err.message, match.text);
      return true;
    },
  );
};

test('decodes a read request with options, lowercasing names and mode', () => {
  const packet = decode(bytes(1, 'pxelinux.0', 'OCTET', 'BlkSize', '1468', 'tsize', '0'));
  assert.deepEqual(packet, { op: 'rrq', filename: 'pxelinux.0', mode: 'octet', options: new Map([['blksize', '1468'], ['tsize', '0']]) });
});

test('decodes a write request without options', () => {
  assert.deepEqual(decode(bytes(2, 'up.txt', 'netascii')), { op: 'wrq', filename: 'up.txt', mode: 'netascii', options: new Map() });
});

test('decodes DATA, ACK, ERROR and OACK', () => {
  assert.deepEqual(decode(Buffer.concat([bytes(3, 7), Buffer.from('abc')])), { op: 'data', block: 7, data: Buffer.from('abc') });
  assert.deepEqual(decode(bytes(4, 65535)), { op: 'ack', block: 65535 });
  assert.deepEqual(decode(bytes(5, 1, 'File not found')), { op: 'error', code: 1, message: 'File not found' });
  assert.deepEqual(decode(bytes(6, 'blksize', '1468')), { op: 'oack', options: new Map([['blksize', '1468']]) });
});

test('encodes each packet kind to the RFC 1350 layout', () => {
  assert.deepEqual(encode({ op: 'ack', block: 0x10002 }), Buffer.from([0, 4, 0, 2]));
  assert.deepEqual(encodeData(65536, Buffer.from('x')), Buffer.from([0, 3, 0, 0, 0x78]));
  assert.deepEqual(encodeError(2, 'no'), Buffer.from([0, 5, 0, 2, 0x6e, 0x6f, 0]));
  assert.deepEqual(encode({ op: 'oack', options: new Map([['tsize', '42']]) }), bytes(6, 'tsize', '42'));
  assert.deepEqual(encode({ op: 'rrq', filename: 'a/b', mode: 'octet', options: new Map([['windowsize', '16']]) }), bytes(1, 'a/b', 'octet', 'windowsize', '16'));
});

test('round-trips every packet kind', () => {
  const packets: TftpPacket[] = [
    { op: 'rrq', filename: 'ipxe/undionly.kpxe', mode: 'octet', options: new Map([['blksize', '1468'], ['windowsize', '4']]) },
    { op: 'wrq', filename: 'x', mode: 'mail', options: new Map() },
    { op: 'data', block: 1, data: Buffer.alloc(512, 7) },
    { op: 'data', block: 2, data: Buffer.alloc(0) },
    { op: 'ack', block: 0 },
    { op: 'error', code: 8, message: 'options refused' },
    { op: 'oack', options: new Map([['tsize', '123456789']]) },
  ];
  for (const packet of packets) assert.deepEqual(decode(encode(packet)), packet);
});

test('refuses packets shorter than an opcode', () => {
  rejects(Buffer.alloc(0), { offset: 0, expected: 'a 2-byte opcode', found: '0 bytes' });
  rejects(Buffer.from([0]), { found: '1 bytes' });
});

test('refuses an unknown opcode, naming it', () => {
  rejects(bytes(9, 'x', 'octet'), { offset: 0, expected: 'opcode 1 to 6', found: 'opcode 9' });
  rejects(bytes(0), { found: 'opcode 0' });
});

test('refuses a request whose file name or mode lacks its NUL', () => {
  rejects(Buffer.concat([bytes(1), Buffer.from('file')]), { expected: 'a NUL terminating the file name', offset: 6 });
  rejects(Buffer.concat([bytes(1, 'file'), Buffer.from('octet')]), { expected: 'a NUL terminating the mode' });
  rejects(bytes(1), { expected: 'a NUL terminating the file name', found: 'end of packet' });
});

test('refuses an empty file name', () => {
  rejects(bytes(1, '', 'octet'), { offset: 2, expected: 'a file name' });
});

test('refuses a mode other than netascii, octet or mail', () => {
  rejects(bytes(1, 'f', 'binary'), { offset: 4, expected: 'mode netascii, octet or mail', found: '"binary"' });
});

test('refuses an odd option list, an unterminated value and a repeated option', () => {
  rejects(bytes(1, 'f', 'octet', 'blksize'), { text: /value for option "blksize".*odd option list/ });
  rejects(Buffer.concat([bytes(1, 'f', 'octet', 'blksize'), Buffer.from('1468')]), { expected: 'a NUL terminating the value of option "blksize"' });
  rejects(bytes(1, 'f', 'octet', 'tsize', '0', 'TSIZE', '0'), { found: 'option "tsize" repeated' });
  rejects(bytes(1, 'f', 'octet', '', '0'), { expected: 'an option name' });
});

test('refuses truncated DATA, ACK and ERROR packets', () => {
  rejects(Buffer.from([0, 3, 1]), { expected: 'a 2-byte block number' });
  rejects(Buffer.from([0, 4]), { expected: 'a 2-byte block number' });
  rejects(Buffer.from([0, 5, 0]), { expected: 'a 2-byte error code' });
  rejects(Buffer.from([0, 5, 0, 1, 0x41]), { expected: 'a NUL terminating the error message' });
});

test('refuses oversized requests and DATA beyond the largest block', () => {
  rejects(bytes(1, 'a'.repeat(600), 'octet'), { offset: 512, found: '609 bytes', text: /RRQ packet of at most 512 bytes/ });
  rejects(Buffer.concat([bytes(3, 1), Buffer.alloc(65465)]), { offset: 65468 });
  assert.equal(decode(Buffer.concat([bytes(3, 1), Buffer.alloc(65464)])).op, 'data');
});

test('names the offset, expectation and finding in the error message', () => {
  const err = (() => {
    try {
      decode(bytes(1, 'f', 'tape'));
    } catch (e) {
      return e as TftpDecodeError;
    }
    return undefined;
  })();
  assert.equal(err?.message, 'malformed TFTP packet at byte 4: expected mode netascii, octet or mail, found "tape"');
});
