import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { memoryLogger } from '../../lib/logger.ts';
import { createPxeMetrics } from '../metrics.ts';
import { Timeline } from '../timeline.ts';
import { Transfers } from '../transfers.ts';
import { tftpGet } from '../../../test/helpers/tftp-client.ts';
import { decode, encode, MAX_REQUEST_BYTES, TftpDecodeError, type TftpPacket } from './codec.ts';
import { startTftp } from './server.ts';

const text = (min = 0) => fc.string({ minLength: min, maxLength: 40 }).filter((s) => !s.includes('\0'));
const options = fc
  .uniqueArray(fc.tuple(text(1).map((s) => s.toLowerCase()), text()), { selector: ([name]) => name, maxLength: 6 })
  .map((entries) => new Map(entries));

const packet: fc.Arbitrary<TftpPacket> = fc.oneof(
  fc.record({ op: fc.constantFrom('rrq' as const, 'wrq' as const), filename: text(1), mode: fc.constantFrom('netascii' as const, 'octet' as const, 'mail' as const), options }),
  fc.record({ op: fc.constant('data' as const), block: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ maxLength: 1468 }).map((a) => Buffer.from(a)) }),
  fc.record({ op: fc.constant('ack' as const), block: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ op: fc.constant('error' as const), code: fc.integer({ min: 0, max: 0xffff }), message: text() }),
  fc.record({ op: fc.constant('oack' as const), options }),
);

/** Bytes that look like TFTP: an opcode (mostly valid), then NUL-separated pieces or noise. */
const nearTftp = fc
  .tuple(
    fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0xffff })),
    fc.array(fc.oneof(text(), fc.constant(''), fc.constantFrom('octet', 'netascii', 'mail', 'blksize', 'tsize', 'windowsize', '1468')), { maxLength: 8 }),
    fc.boolean(),
    fc.uint8Array({ maxLength: 8 }),
  )
  .map(([op, parts, terminate, tail]) => {
    const body = Buffer.from(parts.join('\0') + (terminate ? '\0' : ''), 'utf8');
    return Buffer.concat([Buffer.from([op >> 8, op & 0xff]), body, Buffer.from(tail)]);
  });

test('decode throws nothing but TftpDecodeError on any bytes', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a)), nearTftp), (buf) => {
      try {
        decode(buf);
      } catch (err) {
        if (!(err instanceof TftpDecodeError)) throw err;
      }
    }),
    { numRuns: 5000 },
  );
});

test('decode inverts encode for every packet that fits', () => {
  fc.assert(
    fc.property(packet, (p) => {
      const bytes = encode(p);
      fc.pre(p.op === 'data' || bytes.length <= MAX_REQUEST_BYTES);
      assert.deepEqual(decode(bytes), { ...p });
      assert.deepEqual(encode(decode(bytes)), bytes);
    }),
    { numRuns: 3000 },
  );
});

test('a running server survives a malformed-packet corpus and still serves byte-identical files', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'pxevirt-tftp-fuzz-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const content = randomBytes(300_000);
  await writeFile(join(root, 'boot.bin'), content);
  const log = memoryLogger();
  const metrics = createPxeMetrics();
  const server = await startTftp({
    roots: { root, ipxeDir: root },
    address: '127.0.0.1',
    port: 0,
    log,
    timeline: new Timeline(log),
    metrics,
    transfers: new Transfers(),
  });
  t.after(() => server.close());

  const rrq = (rest: string) => Buffer.concat([Buffer.from([0, 1]), Buffer.from(rest, 'latin1')]);
  const corpus: Buffer[] = [
    Buffer.alloc(0), // zero-length
    Buffer.from([0]), // shorter than an opcode
    Buffer.from([0, 1]), // RRQ with nothing
    rrq('boot.bin'), // file name without NUL
    rrq('boot.bin\0octet'), // mode without NUL
    rrq('boot.bin\0tape\0'), // bad mode
    rrq('\0octet\0'), // empty file name
    rrq('boot.bin\0octet\0blksize\0'), // odd option list
    rrq('boot.bin\0octet\0blksize\x001468'), // unterminated option value
    rrq('boot.bin\0octet\0tsize\x000\0TSIZE\x000\0'), // repeated option
    rrq(`${'a'.repeat(2000)}\0octet\0`), // oversized request
    Buffer.concat([Buffer.from([0, 3, 0, 1]), Buffer.alloc(65000)]), // DATA to the request port
    Buffer.from([0, 4]), // truncated ACK
    Buffer.from([0, 5, 0]), // truncated ERROR
    Buffer.from([0x12, 0x34, 1, 2, 3]), // unknown opcode
    Buffer.from([0, 6, 0x62, 0x6c]), // OACK without NUL
    ...Array.from({ length: 40 }, () => randomBytes(1 + Math.floor(Math.random() * 1400))), // garbage
  ];
  const sender = createSocket('udp4');
  t.after(() => new Promise<void>((resolve) => sender.close(() => resolve())));
  await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', () => resolve()));
  sender.on('message', () => undefined);
  for (const buf of corpus) await new Promise<void>((resolve, reject) => sender.send(buf, server.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));

  const got = await tftpGet('127.0.0.1', server.port, 'boot.bin', { blksize: '1468', tsize: '0' });
  assert.equal(got.error, undefined);
  assert.equal(createHash('sha256').update(got.data).digest('hex'), createHash('sha256').update(content).digest('hex'));
  const malformed = (await metrics.errors.get()).values.find((v) => v.labels.kind === 'malformed')?.value ?? 0;
  assert.ok(malformed >= 15, `expected the malformed packets counted, found ${malformed}`);
  assert.ok(log.records.some((r) => r.level === 'warn' && r.msg === 'malformed TFTP packet'), 'malformed packets are logged as warnings');
});
