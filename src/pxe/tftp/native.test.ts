// The same transfers through both data paths: the native addon (native/tftp_data.c) and the
// JavaScript loop (transfer-loop.ts). Each case runs on both and must see the same packets,
// outcomes, timeline and counters. The addon must be built (`make native`): CI runs the
// native path, so a missing build fails here instead of passing on the fallback.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { memoryLogger } from '../../lib/logger.ts';
import { createPxeMetrics } from '../metrics.ts';
import { Timeline } from '../timeline.ts';
import { Transfers } from '../transfers.ts';
import { tftpGet } from '../../../test/helpers/tftp-client.ts';
import { decode, encode, type TftpPacket } from './codec.ts';
import { nativeAddon } from './native.ts';
import { startTftp, type TftpServerOptions } from './server.ts';

const PATHS = ['native', 'js'] as const;

async function serve(t: TestContext, dataPath: 'native' | 'js', extra: Partial<TftpServerOptions> = {}) {
  const root = await mkdtemp(join(tmpdir(), 'pxevirt-tftp-paths-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  // 75,000 blocks of 8 bytes: block numbers wrap past 65535.
  const files = { big: randomBytes(600_000), small: randomBytes(5000) };
  await writeFile(join(root, 'big.bin'), files.big);
  await writeFile(join(root, 'small.bin'), files.small);
  const log = memoryLogger();
  const metrics = createPxeMetrics();
  const timeline = new Timeline(log);
  const transfers = new Transfers();
  const generated = (file: string) => (file === 'gen.cfg' ? Buffer.from('set timeout=0\n'.repeat(100)) : undefined);
  const server = await startTftp({ roots: { root, ipxeDir: root }, address: '127.0.0.1', port: 0, log, timeline, metrics, transfers, generated, dataPath, ...extra });
  t.after(() => server.close());
  const count = async (kind: string) => (await metrics.errors.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
  const ok = async () => (await metrics.tftpTransfers.get()).values.find((v) => v.labels.result === 'ok')?.value ?? 0;
  return { root, files, log, server, transfers, count, ok };
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`expected ${what}, found it still not so after 1000 checks`);
}

/** A raw client: sends what the test says and queues what comes back (with the server's TID). */
async function rawClient(t: TestContext) {
  const socket = createSocket('udp4');
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const queue: TftpPacket[] = [];
  const waiters: Array<(p: TftpPacket) => void> = [];
  let tid = 0;
  socket.on('message', (msg, rinfo) => {
    tid = rinfo.port;
    const p = decode(msg);
    const waiter = waiters.shift();
    if (waiter) waiter(p);
    else queue.push(p);
  });
  const send = (buf: Buffer, port = tid) => new Promise<void>((resolve) => socket.send(buf, port, '127.0.0.1', () => resolve()));
  const next = () => new Promise<TftpPacket>((resolve) => (queue.length ? resolve(queue.shift()!) : waiters.push(resolve)));
  const show = (p: TftpPacket) => (p.op === 'data' ? `data ${p.block} ${p.data.length}` : p.op === 'error' ? `error ${p.code}` : p.op);
  const take = async (n: number) => (await Promise.all(Array.from({ length: n }, next))).map(show);
  return { send, next, take, pending: () => queue.length };
}

test('the native addon is built (make native) and loads', () => {
  assert.ok(nativeAddon(), 'expected build/native/tftp_data.node (run `make native`), found none');
});

for (const dataPath of PATHS) {
  test(`${dataPath}: lock-step, windowed past block 65535, and generated content arrive byte-identical and are counted`, async (t) => {
    const s = await serve(t, dataPath);
    const [lock, windowed, wrapped, generated] = await Promise.all([
      tftpGet('127.0.0.1', s.server.port, 'big.bin', { blksize: '1468', tsize: '0' }),
      tftpGet('127.0.0.1', s.server.port, 'big.bin', { blksize: '1468', windowsize: '16' }),
      tftpGet('127.0.0.1', s.server.port, 'big.bin', { blksize: '8', windowsize: '64' }),
      tftpGet('127.0.0.1', s.server.port, 'gen.cfg', {}),
    ]);
    for (const got of [lock, windowed, wrapped]) assert.ok(got.data.equals(s.files.big));
    assert.equal(generated.data.toString(), 'set timeout=0\n'.repeat(100));
    assert.equal(lock.oack?.get('tsize'), '600000');
    await until(async () => (await s.ok()) === 4 && s.server.stats().active === 0, 'all four transfers counted and their slots given back');
    assert.deepEqual(s.transfers.snapshot(), []);
  });

  test(`${dataPath}: duplicate and stale ACKs are ignored, an earlier ACK resends from there, junk is counted, the peer's ERROR ends it`, async (t) => {
    const s = await serve(t, dataPath, { limits: { defaultTimeoutMs: 5000 } });
    const c = await rawClient(t);
    await c.send(encode({ op: 'rrq', filename: 'small.bin', mode: 'octet', options: new Map([['blksize', '512'], ['windowsize', '4']]) }), s.server.port);
    assert.equal((await c.next()).op, 'oack');
    await c.send(encode({ op: 'ack', block: 0 }));
    assert.deepEqual(await c.take(4), ['data 1 512', 'data 2 512', 'data 3 512', 'data 4 512']);
    // Junk on the transfer's own port: too short, unknown opcode, an ERROR without NUL, an oversized ACK.
    for (const junk of [Buffer.from([0, 4]), Buffer.from([0x12, 0x34, 0, 1]), Buffer.from([0, 5, 0, 0, 0x41]), Buffer.concat([Buffer.from([0, 4, 0, 4]), Buffer.alloc(600)])]) await c.send(junk);
    await c.send(encode({ op: 'ack', block: 0 })); // duplicate of the OACK's ACK: no resend
    await c.send(encode({ op: 'ack', block: 9 })); // beyond what was sent: ignored
    await c.send(encode({ op: 'ack', block: 2 })); // blocks 3 and 4 lost: the window restarts at 3
    assert.deepEqual(await c.take(4), ['data 3 512', 'data 4 512', 'data 5 512', 'data 6 512']);
    await c.send(encode({ op: 'ack', block: 10 })); // the whole file is 10 blocks (5000 bytes): not sent yet, ignored
    await c.send(encode({ op: 'ack', block: 6 }));
    assert.deepEqual(await c.take(4), ['data 7 512', 'data 8 512', 'data 9 512', 'data 10 392']);
    await c.send(encode({ op: 'error', code: 0, message: 'stop\x01now' }));
    await until(() => s.server.stats().active === 0, 'the transfer to end on the peer\'s ERROR');
    assert.equal(c.pending(), 0, 'no packet answered the junk, the duplicate or the stale ACKs');
    const ended = s.log.records.find((r) => r.event === 'error');
    assert.equal(ended?.reason, 'peer-error');
    assert.match(String(ended?.message), /^client sent error 0: stop.now$/);
    assert.equal(ended?.bytes, 3072, 'six blocks acknowledged');
    await until(async () => (await s.count('malformed')) === 4, 'the four junk datagrams counted as malformed');
  });

  test(`${dataPath}: retransmits to a silent client, then gives up with an ERROR after it counted the timeout`, async (t) => {
    const s = await serve(t, dataPath, { limits: { defaultTimeoutMs: 20, maxRetries: 2 } });
    const c = await rawClient(t);
    await c.send(encode({ op: 'rrq', filename: 'small.bin', mode: 'octet', options: new Map([['blksize', '1024']]) }), s.server.port);
    assert.deepEqual(await c.take(4), ['oack', 'oack', 'oack', 'error 0']);
    assert.equal(await s.count('timeout'), 1);
    assert.match(String(s.log.records.find((r) => r.event === 'error')?.message), /no acknowledgement after 3 tries of 20 ms \(last acknowledged block 0\)/);
  });

  test(`${dataPath}: a file that shrinks under a transfer ends it with a read error, counted as an I/O error`, async (t) => {
    const s = await serve(t, dataPath, { limits: { defaultTimeoutMs: 5000 } });
    const c = await rawClient(t);
    await c.send(encode({ op: 'rrq', filename: 'big.bin', mode: 'octet', options: new Map([['blksize', '1468'], ['windowsize', '64']]) }), s.server.port);
    assert.equal((await c.next()).op, 'oack');
    await truncate(join(s.root, 'big.bin'), 1000);
    await c.send(encode({ op: 'ack', block: 0 }));
    // Acknowledge window after window until the server's read-ahead reaches the missing bytes.
    let last: TftpPacket;
    for (let block = 0; ; ) {
      last = await c.next();
      if (last.op !== 'data') break;
      block = last.block;
      if (block % 64 === 0) await c.send(encode({ op: 'ack', block }));
    }
    assert.deepEqual(last, { op: 'error', code: 0, message: 'read error' });
    await until(async () => (await s.count('io')) === 1, 'the read error counted');
    assert.match(String(s.log.records.find((r) => r.event === 'error')?.message), /^file changed while being read: expected \d+ bytes at offset \d+, found \d+$/);
  });

  test(`${dataPath}: any datagrams on a transfer's port end it cleanly at worst; the server serves on`, async (t) => {
    const s = await serve(t, dataPath, { limits: { defaultTimeoutMs: 30, maxRetries: 1 } });
    const c = await rawClient(t);
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a)),
      fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 40 })).map(([op, n, tail]) => Buffer.concat([Buffer.from([0, op, n >> 8, n & 0xff]), Buffer.from(tail)])),
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(datagram, { maxLength: 30 }), async (junk) => {
        runs++;
        await c.send(encode({ op: 'rrq', filename: 'small.bin', mode: 'octet', options: new Map([['blksize', '512'], ['windowsize', '4']]) }), s.server.port);
        await c.next(); // the OACK, from the transfer's port
        for (const buf of junk) await c.send(buf);
        await until(() => s.server.stats().active === 0, 'the transfer to end (done, peer error or timeout)');
        while (c.pending() > 0) await c.next();
      }),
      { numRuns: 25 },
    );
    const got = await tftpGet('127.0.0.1', s.server.port, 'small.bin', { blksize: '1468' });
    assert.ok(got.data.equals(s.files.small));
    assert.equal(runs, 25);
  });
}
