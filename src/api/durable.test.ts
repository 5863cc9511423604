import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterDurable, durableWriter } from './durable.ts';
import { isDeferred } from './http-types.ts';

/** A controllable durable(): `commit()` makes a new pending batch, `sync()` settles them all. */
function fakeDurability() {
  let pending: { promise: Promise<void>; ok: () => void; fail: (e: Error) => void } | undefined;
  return {
    durable: () => pending?.promise,
    commit() {
      if (pending) return;
      let ok!: () => void;
      let fail!: (e: Error) => void;
      const promise = new Promise<void>((a, b) => ((ok = a), (fail = b)));
      promise.catch(() => undefined);
      pending = { promise, ok, fail };
    },
    async sync(err?: Error) {
      const p = pending!;
      pending = undefined;
      if (err) p.fail(err);
      else p.ok();
      await p.promise.catch(() => undefined);
      await new Promise((done) => setImmediate(done));
    },
  };
}

test('a watch line waits until the writes before it are durable, and lines keep their order', async () => {
  const d = fakeDurability();
  const out: string[] = [];
  let ended = false;
  const w = durableWriter(d.durable, (c) => out.push(c), () => (ended = true));
  w.write('a');
  assert.deepEqual(out, ['a'], 'nothing pending: written at once');
  d.commit();
  w.write('b');
  w.write('c');
  assert.deepEqual(out, ['a'], 'held until durable');
  await d.sync();
  assert.deepEqual(out, ['a', 'bc'], 'the lines of one batch leave as one chunk');
  d.commit();
  w.write('d');
  w.end();
  assert.equal(ended, false, 'end waits for the held line');
  await d.sync();
  assert.deepEqual(out, ['a', 'bc', 'd']);
  assert.equal(ended, true);
});

test('a failed sync ends the watch without sending the lines it held', async () => {
  const d = fakeDurability();
  const out: string[] = [];
  let ended = false;
  const w = durableWriter(d.durable, (c) => out.push(c), () => (ended = true));
  d.commit();
  w.write('x');
  await d.sync(new Error('EIO'));
  assert.deepEqual(out, []);
  assert.equal(ended, true);
});

test('a response is deferred only while writes are pending', async () => {
  const d = fakeDurability();
  const response = { status: 200, headers: {}, body: { ok: true } };
  assert.equal(afterDurable({ durable: d.durable }, response), response);
  d.commit();
  const deferred = afterDurable({ durable: d.durable }, response);
  assert.ok(isDeferred(deferred.body));
  await d.sync();
  assert.equal(await deferred.body.deferred, response);
});

test('a watcher waits once per sync however many lines it holds, and a line durable at once leaves behind the held ones', async () => {
  let reactions = 0;
  let ok!: () => void;
  const gate = new Promise<void>((done) => (ok = done));
  const counted = { then: (a: () => void, b: (e: unknown) => void) => (reactions++, gate.then(a, b)) } as unknown as Promise<void>;
  let pending: Promise<void> | undefined = counted;
  const out: string[] = [];
  const w = durableWriter(() => pending, (c) => out.push(c), () => undefined);
  for (const line of ['a', 'b', 'c']) w.write(line);
  pending = undefined;
  w.write('d');
  assert.deepEqual(out, [], 'd waits behind the held lines');
  assert.equal(reactions, 1, 'one reaction for the three lines of one sync');
  ok();
  await gate;
  await new Promise((done) => setImmediate(done));
  assert.deepEqual(out, ['abcd']);
});

test('a shared join gives the watchers releasing the same lines one joined string', async () => {
  const { sharedJoin } = await import('./durable.ts');
  const join = sharedJoin();
  const lines = ['{"a":1}\n', '{"b":2}\n'];
  const first = join([...lines]);
  assert.equal(first, lines.join(''));
  assert.equal(join([...lines]), first);
  assert.equal(join(['{"c":3}\n', lines[1]!]), '{"c":3}\n{"b":2}\n', 'different lines are joined anew');
});
