import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { memoryLogger } from '../../lib/logger.ts';
import { createPxeMetrics } from '../metrics.ts';
import { Timeline } from '../timeline.ts';
import { Transfers } from '../transfers.ts';
import { tftpGet } from '../../../test/helpers/tftp-client.ts';
import { decode, encode, type TftpPacket } from './codec.ts';
import { startTftp, type TftpServerOptions } from './server.ts';

async function setup(t: TestContext, extra: Partial<TftpServerOptions> = {}) {
  const root = await mkdtemp(join(tmpdir(), 'pxevirt-tftp-server-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const files = { small: randomBytes(3000), big: randomBytes(2_000_000) };
  await writeFile(join(root, 'small.bin'), files.small);
  await writeFile(join(root, 'big.bin'), files.big);
  await mkdir(join(root, 'sub'));
  await writeFile(join(root, 'sub', 'x'), 'x');
  await symlink('/etc/passwd', join(root, 'out'));
  const log = memoryLogger();
  const timeline = new Timeline(log);
  const transfers = new Transfers();
  const metrics = createPxeMetrics();
  const server = await startTftp({ roots: { root, ipxeDir: root }, address: '127.0.0.1', port: 0, log, timeline, metrics, transfers, ...extra });
  t.after(() => server.close());
  const count = async (result: string) => (await metrics.tftpTransfers.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  return { root, files, log, timeline, transfers, metrics, server, count };
}

/** Waits until `cond` holds (the server handles the client's last ACK after the client is done). */
async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`expected ${what}, found it still not so after 500 checks`);
}

async function udp(t: TestContext): Promise<Socket & { next(): Promise<TftpPacket>; lastPort: number }> {
  const socket = createSocket('udp4');
  t.after(
    () =>
      new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // closed by the test already
        }
      }),
  );
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const queue: TftpPacket[] = [];
  const waiters: Array<(p: TftpPacket) => void> = [];
  const state = { lastPort: 0 };
  socket.on('message', (msg, rinfo) => {
    state.lastPort = rinfo.port;
    const p = decode(msg);
    const w = waiters.shift();
    if (w) w(p);
    else queue.push(p);
  });
  Object.defineProperty(socket, 'lastPort', { get: () => state.lastPort });
  return Object.assign(socket as Socket & { lastPort: number }, {
    next: () => new Promise<TftpPacket>((resolve) => (queue.length ? resolve(queue.shift()!) : waiters.push(resolve))),
  });
}

test('serves a file with OACK, records rrq/oack/done on the timeline with the MAC, counts it', async (t) => {
  const s = await setup(t);
  s.timeline.noteAddress('de:00:00:00:00:01', '127.0.0.1');
  const got = await tftpGet('127.0.0.1', s.server.port, 'small.bin', { blksize: '1024', tsize: '0' });
  assert.ok(got.data.equals(s.files.small));
  assert.deepEqual(got.oack, new Map([['blksize', '1024'], ['tsize', '3000']]));
  assert.notEqual(got.tid, s.server.port, 'the transfer runs on its own port');
  await until(() => s.transfers.snapshot().length === 0, 'the transfer to end');
  const events = s.timeline.snapshot()['de:00:00:00:00:01']?.map((e) => e.event);
  assert.deepEqual(events, ['rrq', 'oack', 'done']);
  const done = s.timeline.snapshot()['de:00:00:00:00:01']?.at(-1);
  assert.equal(done?.bytes, 3000);
  assert.equal(done?.file, 'small.bin');
  assert.equal(await s.count('ok'), 1);
  assert.deepEqual(s.transfers.snapshot(), [], 'finished transfers leave /status');
});

test('clamps blksize to maxBlksize', async (t) => {
  const s = await setup(t, { maxBlksize: 1468 });
  const got = await tftpGet('127.0.0.1', s.server.port, 'big.bin', { blksize: '65464', windowsize: '200' });
  assert.equal(got.oack?.get('blksize'), '1468');
  assert.equal(got.oack?.get('windowsize'), '64');
  assert.ok(got.data.equals(s.files.big));
});

test('serves many transfers at once', async (t) => {
  const s = await setup(t);
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) => tftpGet('127.0.0.1', s.server.port, i % 2 ? 'big.bin' : 'small.bin', i % 3 ? { windowsize: '8', blksize: '1468' } : {})),
  );
  results.forEach((r, i) => assert.ok(r.data.equals(i % 2 ? s.files.big : s.files.small), `transfer ${i} is byte-identical`));
  await until(() => s.transfers.snapshot().length === 0, 'every transfer to end');
  assert.equal(await s.count('ok'), 8);
});

test('a packet from a wrong TID never reaches the transfer (its socket is connected to the client)', async (t) => {
  const s = await setup(t);
  const intruder = await udp(t);
  let poked = false;
  const got = await tftpGet('127.0.0.1', s.server.port, 'big.bin', {}, {
    onPacket: (p, from) => {
      if (!poked && p.op === 'data' && p.block === 3) {
        poked = true;
        intruder.send(encode({ op: 'ack', block: 3000 }), from.port, '127.0.0.1');
        intruder.send(encode({ op: 'error', code: 0, message: 'abort' }), from.port, '127.0.0.1');
        intruder.send(Buffer.from('garbage'), from.port, '127.0.0.1');
      }
    },
  });
  assert.ok(poked);
  assert.ok(got.data.equals(s.files.big), 'the transfer went on undisturbed');
  await until(async () => (await s.count('ok')) === 1, 'the transfer to be counted as done');
  assert.equal((await s.metrics.errors.get()).values.find((v) => v.labels.kind === 'malformed')?.value ?? 0, 0, 'the garbage never reached the server');
});

test('ends a transfer at once when the client\'s port is unreachable (ICMP), releasing its slot', async (t) => {
  const s = await setup(t, { limits: { defaultTimeoutMs: 10_000 } });
  const gone = await udp(t);
  gone.send(encode({ op: 'rrq', filename: 'big.bin', mode: 'octet', options: new Map() }), s.server.port, '127.0.0.1');
  assert.equal((await gone.next()).op, 'data');
  const port = gone.lastPort;
  // The next DATA then finds the port closed.
  await new Promise<void>((resolve) => gone.send(encode({ op: 'ack', block: 1 }), port, '127.0.0.1', () => resolve()));
  gone.close();
  await until(() => s.server.stats().active === 0, 'the transfer to end well before its 10 s timeout');
  assert.ok(s.log.records.some((r) => r.event === 'error' && /port unreachable/.test(String(r.message))));
});

test('refuses traversal and links out of the root, reads absolute names under the root; never reads outside', async (t) => {
  const s = await setup(t);
  // `/etc/passwd` is the root's etc/passwd (GRUB names files with a leading slash): not found here.
  for (const [name, code] of [['../etc/passwd', 2], ['/etc/passwd', 1], ['//../etc/passwd', 2], ['sub/../../x', 2], ['out', 2], ['missing', 1]] as const) {
    const got = await tftpGet('127.0.0.1', s.server.port, name);
    assert.equal(got.error?.code, code, `${name}: expected error ${code}, found ${JSON.stringify(got.error)}`);
    assert.equal(got.data.length, 0);
  }
  assert.equal(await s.count('refused'), 6);
  assert.ok(s.log.records.some((r) => r.event === 'refused' && r.file === 'out' && /symbolic link|link leading out/.test(String(r.reason))));
});

test('refuses write requests with an access violation that says why', async (t) => {
  const s = await setup(t);
  const client = await udp(t);
  client.send(encode({ op: 'wrq', filename: 'new.bin', mode: 'octet', options: new Map() }), s.server.port, '127.0.0.1');
  const reply = await client.next();
  assert.equal(reply.op, 'error');
  assert.equal(reply.op === 'error' && reply.code, 2);
  assert.match(reply.op === 'error' ? reply.message : '', /read-only.*WRQ/);
});

test('retransmits the window to a silent client, then gives up with an ERROR', async (t) => {
  const s = await setup(t, { limits: { defaultTimeoutMs: 20, maxRetries: 2 } });
  const client = await udp(t);
  client.send(encode({ op: 'rrq', filename: 'small.bin', mode: 'octet', options: new Map() }), s.server.port, '127.0.0.1');
  const packets = [await client.next(), await client.next(), await client.next(), await client.next()];
  assert.deepEqual(packets.map((p) => (p.op === 'data' ? `data ${p.block}` : p.op)), ['data 1', 'data 1', 'data 1', 'error']);
  assert.equal(await s.count('error'), 1);
  assert.ok(s.log.records.some((r) => r.event === 'error' && r.reason === 'timeout'));
});

const openFds = async () => (await readdir('/proc/self/fd')).length;

test('refuses past the per-client cap with an ERROR that says so, counted in stats; others still served', async (t) => {
  const s = await setup(t, { caps: { perClient: 2, overall: 10 }, limits: { defaultTimeoutMs: 5000 } });
  const silent = await Promise.all([udp(t), udp(t), udp(t)]);
  const rrq = encode({ op: 'rrq', filename: 'big.bin', mode: 'octet', options: new Map() });
  // Two abandoned transfers (the first DATA is never acknowledged) fill this address's slots.
  for (const c of silent.slice(0, 2)) {
    c.send(rrq, s.server.port, '127.0.0.1');
    assert.equal((await c.next()).op, 'data');
  }
  silent[2]!.send(rrq, s.server.port, '127.0.0.1');
  const refused = await silent[2]!.next();
  assert.equal(refused.op, 'error');
  assert.match(refused.op === 'error' ? refused.message : '', /server busy: 2 transfers running for 127\.0\.0\.1/);
  assert.deepEqual(s.server.stats(), { active: 2, clients: 1, limits: { perClient: 2, overall: 10 }, refused: { perClient: 1, overall: 0 }, evicted: 0 });
  const busy = (await s.metrics.errors.get()).values.find((v) => v.labels.kind === 'busy')?.value;
  assert.equal(busy, 1);
});

test('at the overall cap, a new request evicts the transfer silent the longest, which gets an ERROR saying why', async (t) => {
  const s = await setup(t, { caps: { perClient: 5, overall: 2 }, limits: { defaultTimeoutMs: 5000 } });
  const [old, newer] = await Promise.all([udp(t), udp(t)]);
  const rrq = encode({ op: 'rrq', filename: 'big.bin', mode: 'octet', options: new Map() });
  old.send(rrq, s.server.port, '127.0.0.1');
  assert.equal((await old.next()).op, 'data');
  newer.send(rrq, s.server.port, '127.0.0.1');
  assert.equal((await newer.next()).op, 'data');
  newer.send(encode({ op: 'ack', block: 1 }), newer.lastPort, '127.0.0.1'); // heard from: not the victim
  assert.equal((await newer.next()).op, 'data');
  const got = await tftpGet('127.0.0.1', s.server.port, 'small.bin');
  assert.ok(got.data.equals(s.files.small), 'the new request is served');
  const evicted = await old.next();
  assert.match(evicted.op === 'error' ? evicted.message : '', /evicted: the server is at its transfer cap/);
  assert.equal(s.server.stats().evicted, 1);
  await until(() => s.server.stats().active === 1, 'the small transfer to end and the acknowledging one to still run');
  assert.deepEqual(s.transfers.snapshot().map((x) => x.bytes), [512], 'the one left is the acknowledging transfer');
});

test('answers a 255 s timeout request with the clamped value in the OACK', async (t) => {
  const s = await setup(t, { limits: { maxTimeoutS: 3 } });
  const got = await tftpGet('127.0.0.1', s.server.port, 'small.bin', { timeout: '255', blksize: '1024' });
  assert.equal(got.oack?.get('timeout'), '3');
  assert.ok(got.data.equals(s.files.small));
});

test('closes the file and the socket of transfers that time out, are aborted, or are cut by close()', async (t) => {
  const s = await setup(t, { limits: { defaultTimeoutMs: 300, maxRetries: 1 } });
  const clients = await Promise.all(Array.from({ length: 8 }, () => udp(t)));
  const [aborter, cut] = clients.splice(6) as [Awaited<ReturnType<typeof udp>>, Awaited<ReturnType<typeof udp>>];
  const before = await openFds();
  const rrq = encode({ op: 'rrq', filename: 'big.bin', mode: 'octet', options: new Map() });
  for (const c of clients) {
    c.send(rrq, s.server.port, '127.0.0.1');
    assert.equal((await c.next()).op, 'data');
  }
  assert.equal(s.server.stats().active, 6);
  // Timed out (never acknowledged) and aborted by the client's ERROR.
  await until(() => s.server.stats().active === 0, 'every abandoned transfer to time out');
  await until(async () => (await openFds()) === before, 'no descriptor left behind by timed-out transfers');
  aborter.send(rrq, s.server.port, '127.0.0.1');
  const first = await aborter.next();
  assert.equal(first.op, 'data');
  aborter.send(encode({ op: 'error', code: 0, message: 'stop' }), aborter.lastPort, '127.0.0.1');
  await until(() => s.server.stats().active === 0, 'the aborted transfer to end');
  await until(async () => (await openFds()) === before, 'no descriptor left behind by an aborted transfer');
  cut.send(rrq, s.server.port, '127.0.0.1');
  assert.equal((await cut.next()).op, 'data');
  await s.server.close();
  await until(async () => (await openFds()) < before, 'close() to release the transfer and the request socket');
});
