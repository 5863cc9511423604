import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fdatasync } from 'node:fs';
import { silentLogger } from '../lib/logger.ts';
import { GroupCommit, type SyncFile } from './group-commit.ts';
import { DurabilityError } from './errors.ts';
import { openTestStore, vmi } from './test-fixture.ts';

const VMIS = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };

/** A sync that completes only when the test says so, counting calls. */
function heldSync() {
  const calls: Array<(err: Error | null) => void> = [];
  const sync: SyncFile = (_fd, done) => void calls.push(done);
  return { sync, calls };
}

test('commits made while a sync runs share the next sync, and each waits for the sync that covers it', async (t) => {
  const { path, store } = openTestStore(t, { synchronous: 'GROUP' });
  store.create(VMIS, vmi('warm'));
  await store.durable();
  const { sync, calls } = heldSync();
  const group = new GroupCommit(path, silentLogger, sync);
  t.after(() => group.close());
  assert.equal(group.durable(), undefined, 'nothing committed: nothing to wait for');
  group.committed();
  const first = group.durable();
  assert.ok(first);
  await new Promise((done) => setImmediate(done));
  assert.equal(calls.length, 1, 'one sync started for the first commit');
  const settled: string[] = [];
  void first.then(() => settled.push('first'));
  group.committed();
  group.committed();
  group.committed();
  const rest = group.durable();
  assert.ok(rest);
  void rest.then(() => settled.push('rest'));
  assert.equal(group.durable(), rest, 'callers of one batch share its promise');
  group.committed();
  assert.equal(group.durable(), rest, 'a commit made before the next sync starts joins the same batch and promise');
  await new Promise((done) => setImmediate(done));
  assert.equal(calls.length, 1, 'no second sync while one is in flight');
  calls[0]!(null);
  await first;
  assert.deepEqual(settled, ['first'], 'the later commits still wait');
  assert.equal(calls.length, 1, 'the next sync waits for the end of the turn (commits served in it join)');
  group.committed();
  await new Promise((done) => setImmediate(done));
  assert.equal(calls.length, 2, 'one sync for the five commits made meanwhile');
  calls[1]!(null);
  await rest;
  assert.deepEqual(settled, ['first', 'rest']);
  assert.equal(group.durable(), undefined);
});

test('a failed sync refuses the writes waiting for it with DurabilityError, and later commits sync again', async (t) => {
  const { path, store } = openTestStore(t, { synchronous: 'GROUP' });
  store.create(VMIS, vmi('warm'));
  await store.durable();
  let fail = true;
  const group = new GroupCommit(path, silentLogger, (fd, done) => (fail ? done(new Error('EIO')) : fdatasync(fd, done)));
  t.after(() => group.close());
  group.committed();
  await assert.rejects(group.durable()!, (err: unknown) => err instanceof DurabilityError && /could not sync .*-wal/.test(err.message));
  fail = false;
  group.committed();
  await group.durable();
});

test('a GROUP store acknowledges through durable(): writes are visible at once and durable after one sync', async (t) => {
  const { store } = openTestStore(t, { synchronous: 'GROUP' });
  const writes = Array.from({ length: 20 }, (_, i) => store.create(VMIS, vmi(`v${i}`)));
  assert.equal(store.list(VMIS).items.length, 20, 'visible in memory before the sync');
  const pending = store.durable();
  assert.ok(pending, 'the writes wait for a sync');
  await pending;
  assert.equal(store.durable(), undefined);
  assert.equal(writes.length, 20);
});

test('closing a store with unsynced commits syncs them and settles their waiters', async (t) => {
  const { store, reopen } = openTestStore(t, { synchronous: 'GROUP' });
  store.create(VMIS, vmi('last'));
  const pending = store.durable();
  assert.ok(pending);
  store.close();
  await pending;
  assert.equal(reopen().get(VMIS, 'default', 'last').metadata.name, 'last');
});
