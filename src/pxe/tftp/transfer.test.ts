import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, ERROR_CODES, type TftpPacket } from './codec.ts';
import { createReadTransfer, DEFAULT_LIMITS, step, type ReadState, type StepResult, type TransferEvent } from './transfer.ts';

/** A pattern file whose every byte is checkable. */
const pattern = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
const opts = (entries: Record<string, string> = {}) => new Map(Object.entries(entries));

/** Steps once and, when the machine asks for blocks, answers from `file` like the shell does. */
function run(file: Buffer, state: ReadState, event: TransferEvent): StepResult & { packets: TftpPacket[] } {
  let result = step(state, event);
  const send = [...result.send];
  if (result.need) {
    const { first, offset, length } = result.need;
    const fed = step(result.state, { type: 'data', first, bytes: file.subarray(offset, offset + length) });
    send.push(...fed.send);
    result = { ...fed, send };
  }
  return { ...result, send, packets: send.map((b) => decode(b)) };
}

const dataOf = (packets: TftpPacket[]) => packets.map((p) => (p.op === 'data' ? p : assert.fail(`expected DATA, found ${p.op}`)));

/** A well-behaved client: ACKs the last block of every window until done; returns what it got. */
function download(file: Buffer, options: Record<string, string>, limits = DEFAULT_LIMITS) {
  let r = run(file, createReadTransfer(file.length, opts(options), limits), { type: 'start' });
  const received: Buffer[] = [];
  const wire: number[] = [];
  let oacks = 0;
  while (!r.done) {
    if (r.packets[0]?.op === 'oack') {
      oacks++;
      r = run(file, r.state, { type: 'ack', block: 0 });
      continue;
    }
    const data = dataOf(r.packets);
    assert.ok(data.length > 0, 'expected DATA to acknowledge');
    for (const d of data) {
      received.push(d.data);
      wire.push(d.block);
    }
    r = run(file, r.state, { type: 'ack', block: data[data.length - 1]!.block });
  }
  return { done: r.done, bytes: Buffer.concat(received), blocks: received, wire, oacks, state: r.state };
}

test('sends 512-byte blocks without an OACK when the client asks for no options', () => {
  const file = pattern(1300);
  const start = run(file, createReadTransfer(file.length, opts()), { type: 'start' });
  assert.deepEqual(start.packets, [{ op: 'data', block: 1, data: file.subarray(0, 512) }]);
  const got = download(file, {});
  assert.equal(got.oacks, 0);
  assert.deepEqual(got.blocks.map((b) => b.length), [512, 512, 276]);
  assert.deepEqual(got.bytes, file);
  assert.deepEqual(got.done, { ok: true, bytes: 1300 });
});

test('answers options with an OACK that replaces the first DATA, and waits for ACK 0', () => {
  const file = pattern(5000);
  const start = run(file, createReadTransfer(file.length, opts({ blksize: '1468', tsize: '0', foo: 'bar' })), { type: 'start' });
  assert.deepEqual(start.packets, [{ op: 'oack', options: opts({ blksize: '1468', tsize: '5000' }) }]);
  assert.deepEqual(run(file, start.state, { type: 'ack', block: 1 }).send, [], 'ACK other than 0 is ignored during the OACK');
  const first = run(file, start.state, { type: 'ack', block: 0 });
  assert.deepEqual(first.packets, [{ op: 'data', block: 1, data: file.subarray(0, 1468) }]);
  const got = download(file, { blksize: '1468', tsize: '0' });
  assert.equal(got.oacks, 1);
  assert.deepEqual(got.bytes, file);
});

test('clamps blksize to the path limit and windowsize to the server limit; ignores invalid values', () => {
  const limits = { ...DEFAULT_LIMITS, maxBlksize: 1468, maxWindowsize: 64 };
  const big = createReadTransfer(10, opts({ blksize: '65464', windowsize: '65535', timeout: '3' }), limits);
  assert.deepEqual([big.blksize, big.windowsize, big.timeoutMs], [1468, 64, 3000]);
  assert.deepEqual(big.accepted, opts({ blksize: '1468', windowsize: '64', timeout: '3' }));
  const bad = createReadTransfer(10, opts({ blksize: '7', windowsize: '0', timeout: '256', tsize: 'x' }), limits);
  assert.deepEqual([bad.blksize, bad.windowsize, bad.timeoutMs, bad.accepted.size], [512, 1, DEFAULT_LIMITS.defaultTimeoutMs, 0]);
  assert.equal(run(Buffer.alloc(10), bad, { type: 'start' }).packets[0]?.op, 'data', 'no OACK when nothing was accepted');
});

test('clamps the timeout option to maxTimeoutS and answers the clamped value in the OACK', () => {
  const slow = createReadTransfer(10, opts({ timeout: '255' }), DEFAULT_LIMITS);
  assert.equal(slow.timeoutMs, DEFAULT_LIMITS.maxTimeoutS * 1000);
  assert.deepEqual(slow.accepted, opts({ timeout: String(DEFAULT_LIMITS.maxTimeoutS) }));
  const strict = createReadTransfer(10, opts({ timeout: '4' }), { ...DEFAULT_LIMITS, maxTimeoutS: 2 });
  assert.deepEqual([strict.timeoutMs, strict.accepted.get('timeout')], [2000, '2']);
});

test('ends a file that is an exact multiple of blksize with an empty DATA block', () => {
  const got = download(pattern(1024), {});
  assert.deepEqual(got.blocks.map((b) => b.length), [512, 512, 0]);
  assert.deepEqual(got.wire, [1, 2, 3]);
});

test('sends one empty DATA block for an empty file, leaving tsize out of the OACK', () => {
  assert.equal(createReadTransfer(0, opts({ tsize: '0' })).accepted.size, 0, 'curl rejects an OACK with tsize 0');
  const got = download(Buffer.alloc(0), { tsize: '0', blksize: '1024' });
  assert.equal(got.oacks, 1);
  assert.deepEqual(got.blocks.map((b) => b.length), [0]);
  assert.deepEqual(got.done, { ok: true, bytes: 0 });
});

test('sends windowsize blocks before waiting and slides on the ACK of the last one', () => {
  const file = pattern(512 * 10 + 3);
  const start = run(file, createReadTransfer(file.length, opts({ windowsize: '4' })), { type: 'start' });
  const w1 = run(file, start.state, { type: 'ack', block: 0 });
  assert.deepEqual(dataOf(w1.packets).map((d) => d.block), [1, 2, 3, 4]);
  const w2 = run(file, w1.state, { type: 'ack', block: 4 });
  assert.deepEqual(dataOf(w2.packets).map((d) => d.block), [5, 6, 7, 8]);
  assert.deepEqual(dataOf(w2.packets)[0]?.data, file.subarray(4 * 512, 5 * 512));
  const w3 = run(file, w2.state, { type: 'ack', block: 8 });
  assert.deepEqual(dataOf(w3.packets).map((d) => [d.block, d.data.length]), [[9, 512], [10, 512], [11, 3]], 'the last window is short');
  assert.deepEqual(download(file, { windowsize: '4' }).bytes, file);
});

test('resends from the block after an earlier ACK inside the window (RFC 7440)', () => {
  const file = pattern(512 * 20);
  const start = run(file, createReadTransfer(file.length, opts({ windowsize: '8' })), { type: 'start' });
  const w1 = run(file, start.state, { type: 'ack', block: 0 });
  const again = run(file, w1.state, { type: 'ack', block: 3 });
  assert.deepEqual(dataOf(again.packets).map((d) => d.block), [4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(dataOf(again.packets)[0]?.data, file.subarray(3 * 512, 4 * 512));
});

test('ignores duplicate and stale ACKs (no Sorcerer\'s Apprentice resend)', () => {
  const file = pattern(512 * 5);
  const s0 = run(file, createReadTransfer(file.length, opts()), { type: 'start' });
  const s1 = run(file, s0.state, { type: 'ack', block: 1 });
  assert.deepEqual(dataOf(s1.packets).map((d) => d.block), [2]);
  assert.deepEqual(run(file, s1.state, { type: 'ack', block: 1 }).send, []);
  assert.deepEqual(run(file, s1.state, { type: 'ack', block: 3 }).send, [], 'an ACK for a block not yet sent');
});

test('rolls block numbers over from 65535 to 0 and keeps going', () => {
  const blksize = 8;
  const file = pattern(blksize * 65540 + 5);
  const got = download(file, { blksize: String(blksize), windowsize: '16' }, { ...DEFAULT_LIMITS, maxBlksize: 1468 });
  assert.deepEqual(got.wire.slice(65533, 65542), [65534, 65535, 0, 1, 2, 3, 4, 5]);
  assert.equal(got.wire.length, 65541);
  assert.ok(got.bytes.equals(file), 'every byte arrives in order across the rollover');
  assert.deepEqual(got.done, { ok: true, bytes: file.length });
});

test('retransmits the unacknowledged window on timeout, then gives up with an ERROR', () => {
  const file = pattern(512 * 6);
  const limits = { ...DEFAULT_LIMITS, maxRetries: 2 };
  const start = run(file, createReadTransfer(file.length, opts({ windowsize: '3' }), limits), { type: 'start' });
  const oackAgain = run(file, start.state, { type: 'timeout' });
  assert.equal(oackAgain.packets[0]?.op, 'oack', 'the OACK is resent while unacknowledged');
  const w1 = run(file, oackAgain.state, { type: 'ack', block: 0 });
  const w2 = run(file, w1.state, { type: 'ack', block: 3 });
  const t1 = run(file, w2.state, { type: 'timeout' });
  assert.deepEqual(t1.send, w2.send, 'the same window, byte for byte');
  const t2 = run(file, t1.state, { type: 'timeout' });
  assert.deepEqual(dataOf(t2.packets).map((d) => d.block), [4, 5, 6]);
  const t3 = run(file, t2.state, { type: 'timeout' });
  assert.deepEqual(t3.packets, [{ op: 'error', code: ERROR_CODES.notDefined, message: 'timed out' }]);
  assert.equal(t3.done?.ok, false);
  assert.equal(t3.done?.ok === false && t3.done.reason, 'timeout');
  assert.equal(t3.done?.bytes, 3 * 512);
  assert.deepEqual(step(t3.state, { type: 'ack', block: 6 }).send, [], 'a finished transfer sends nothing more');
});

test('a successful ACK resets the retry count', () => {
  const file = pattern(512 * 6);
  const limits = { ...DEFAULT_LIMITS, maxRetries: 1 };
  const s0 = run(file, createReadTransfer(file.length, opts(), limits), { type: 'start' });
  const t = run(file, s0.state, { type: 'timeout' });
  const s1 = run(file, t.state, { type: 'ack', block: 1 });
  assert.equal(s1.state.retries, 0);
  assert.equal(run(file, s1.state, { type: 'timeout' }).done, undefined);
});

test('stops without reply when the client sends an ERROR, naming option refusal', () => {
  const file = pattern(100);
  const start = run(file, createReadTransfer(file.length, opts({ blksize: '1024' })), { type: 'start' });
  const refused = step(start.state, { type: 'error', from: 'peer', code: 8, message: 'bad options' });
  assert.deepEqual(refused.send, []);
  assert.deepEqual(refused.done, { ok: false, reason: 'options-refused', message: 'client sent error 8: bad options', bytes: 0 });
  const aborted = step(start.state, { type: 'error', from: 'peer', code: 0, message: 'user abort' });
  assert.equal(aborted.done?.ok === false && aborted.done.reason, 'peer-error');
});

test('sends an ERROR to the client on a local failure and when the file shrinks', () => {
  const file = pattern(2000);
  const s0 = step(createReadTransfer(file.length, opts()), { type: 'start' });
  const local = step(s0.state, { type: 'error', from: 'local', code: 0, message: 'read failed: EIO' });
  assert.deepEqual(local.send.map((b) => decode(b)), [{ op: 'error', code: 0, message: 'read failed: EIO' }]);
  assert.equal(local.done?.ok === false && local.done.reason, 'local-error');
  const short = step(s0.state, { type: 'data', first: 1, bytes: file.subarray(0, 100) });
  assert.equal(short.done?.ok === false && short.done.reason, 'local-error');
  assert.match(short.done?.ok === false ? short.done.message : '', /expected 512 bytes at offset 0, found 100/);
});

test('ignores data for blocks it did not ask for', () => {
  const file = pattern(2000);
  const s0 = step(createReadTransfer(file.length, opts()), { type: 'start' });
  assert.deepEqual(s0.need, { first: 1, count: 1, offset: 0, length: 512 });
  assert.deepEqual(step(s0.state, { type: 'data', first: 2, bytes: file.subarray(512, 1024) }).send, []);
});
