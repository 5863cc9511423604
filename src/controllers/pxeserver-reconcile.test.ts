import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pxeServerStarted, pxeServerStartFailed, reconcilePxeServer, type PxeServerBook, type PxeServerDesired, type PxeServerObserved } from './pxeserver-reconcile.ts';

const T0 = new Date('2026-01-01T12:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const opts = { retryBaseMs: 5000 };
const desired = (over: Partial<PxeServerDesired> = {}): PxeServerDesired => ({
  specHash: 'h1',
  deleting: false,
  hasFinalizer: true,
  nadExists: true,
  nad: 'default/pxe-net',
  network: 'pxe-net',
  servingMessage: 'serving TFTP and HTTP on 10.0.0.1/24',
  ...over,
});
const none = (book: PxeServerBook = { attempts: 0 }): PxeServerObserved => ({ server: 'none', book });
const types = (r: { actions: { type: string }[] }) => r.actions.map((a) => a.type);

test('a new PXEServer gets its finalizer and a start, reported Pending', () => {
  const r = reconcilePxeServer(desired({ hasFinalizer: false }), none(), T0, opts);
  assert.deepEqual(types(r), ['addFinalizer', 'start']);
  assert.deepEqual(r.status, { phase: 'Pending', reason: 'Starting', message: 'attaching to the network and starting the server' });
  assert.equal(r.requeueAfter, undefined);
});

test('a running server with the same spec has its status read and is reported Running', () => {
  const book = pxeServerStarted({ attempts: 0 }, 'h1', T0);
  const r = reconcilePxeServer(desired(), { server: 'running', book }, at(1000), opts);
  assert.deepEqual(types(r), ['readStatus']);
  assert.deepEqual(r.status, { phase: 'Running', reason: 'Serving', message: 'serving TFTP and HTTP on 10.0.0.1/24' });
  assert.deepEqual(r.events, []);
});

test('a changed spec stops the running server and starts it again at once', () => {
  const book = pxeServerStarted({ attempts: 0 }, 'h1', T0);
  const r = reconcilePxeServer(desired({ specHash: 'h2' }), { server: 'running', book }, at(1000), opts);
  assert.deepEqual(types(r), ['stop', 'start']);
  assert.deepEqual(r.events, [{ type: 'Normal', reason: 'Restarting', message: 'the spec changed; restarting the PXE server' }]);
});

test('a missing NAD fails with its name and backs off, doubling up to five minutes', () => {
  let book: PxeServerBook = { attempts: 0 };
  const delays: number[] = [];
  let t = 0;
  for (let i = 0; i < 8; i++) {
    const r = reconcilePxeServer(desired({ nadExists: false }), none(book), at(t), opts);
    assert.deepEqual(r.status, { phase: 'Failed', reason: 'NetworkNotFound', message: 'NetworkAttachmentDefinition default/pxe-net not found (spec.network "pxe-net")' });
    assert.deepEqual(r.events, [{ type: 'Warning', reason: 'NetworkNotFound', message: r.status?.message }]);
    delays.push(r.requeueAfter ?? -1);
    book = r.book;
    t += r.requeueAfter ?? 0;
  }
  assert.deepEqual(delays, [5000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
});

test('before the retry time nothing starts and the status stays; at it, a start while Ready keeps the failure', () => {
  const failed = pxeServerStartFailed({ attempts: 0 }, 'ImageDownloadFailed', 'cannot download http://x/k: boom', 'h1', T0, opts);
  assert.equal(failed.requeueAfter, 5000);
  assert.deepEqual(failed.status, { phase: 'Failed', reason: 'ImageDownloadFailed', message: 'cannot download http://x/k: boom' });
  const early = reconcilePxeServer(desired(), none(failed.book), at(2000), opts);
  assert.deepEqual([types(early), early.status, early.requeueAfter], [[], undefined, 3000]);
  const due = reconcilePxeServer(desired(), none(failed.book), at(5000), opts);
  assert.deepEqual([types(due), due.status], [['start'], undefined]);
  // A changed spec does not wait for the backoff.
  const changed = reconcilePxeServer(desired({ specHash: 'h2' }), none(failed.book), at(1000), opts);
  assert.deepEqual(types(changed), ['start']);
  assert.equal(changed.book.attempts, 0);
});

test('a server that ended is reported with its exit reason; one that ran a while starts a fresh backoff', () => {
  const exit = { kind: 'crashed' as const, reason: 'pxe-serve was killed by SIGKILL; its last words: up', at: T0.toISOString() };
  const short = reconcilePxeServer(desired(), { server: 'exited', exit, book: { ...pxeServerStarted({ attempts: 2 }, 'h1', T0) } }, at(10_000), opts);
  assert.deepEqual(types(short), ['forgetExit']);
  assert.deepEqual(short.status, { phase: 'Failed', reason: 'ServerExited', message: exit.reason });
  assert.equal(short.requeueAfter, 20_000, 'third failure in a row');
  const long = reconcilePxeServer(desired(), { server: 'exited', exit, book: { ...pxeServerStarted({ attempts: 2 }, 'h1', T0) } }, at(61_000), opts);
  assert.equal(long.requeueAfter, 5000, 'backoff starts again');
});

test('a PXEServer being deleted is torn down, reported Terminating', () => {
  const r = reconcilePxeServer(desired({ deleting: true }), { server: 'running', book: { attempts: 0 } }, T0, opts);
  assert.deepEqual(types(r), ['teardown']);
  assert.equal(r.status?.phase, 'Terminating');
});

test('a successful start clears the failure and remembers the spec and the time', () => {
  const failed = pxeServerStartFailed({ attempts: 0 }, 'ServerStartFailed', 'no', 'h1', T0, opts).book;
  assert.deepEqual(pxeServerStarted(failed, 'h1', at(7000)), { attempts: 1, runningHash: 'h1', startedAt: T0.getTime() + 7000 });
});
