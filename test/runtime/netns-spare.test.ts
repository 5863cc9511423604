// The spare network namespace against the real kernel: taken under a pod's name with loopback up,
// held by a descriptor (joined and bound through it after the spare's name is gone), replaced
// after the start, never taken over an existing name, one at a time, deleted on close, and a
// dead daemon's spare swept at the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { silentLogger } from '../../src/lib/logger.ts';
import { createSpareNetns, isSpareNetns } from '../../src/runtime/netns-spare.ts';
import { netnsExists } from '../../src/runtime/pod.ts';
import { namespacesWithPrefix, netnsUnavailable } from '../helpers/netns.ts';

const run = promisify(execFile);

const spares = async (prefix: string) => (await namespacesWithPrefix(prefix)).filter(isSpareNetns);

test('a pod takes the spare namespace, a new one is made, close deletes it', { skip: await netnsUnavailable() }, async (t) => {
  const prefix = `pxs${randomBytes(2).toString('hex')}-`;
  t.after(async () => {
    for (const ns of await namespacesWithPrefix(prefix)) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  });
  const spare = createSpareNetns({ prefix, log: silentLogger });
  t.after(() => spare.close());

  // None ready at first: the caller makes its own; a spare is made after the start.
  assert.equal(spare.take(`${prefix}a`), undefined);
  assert.equal(netnsExists(`${prefix}a`), false);
  await spare.replenish();
  assert.ok(spare.ready());
  const [first] = await spares(prefix);
  assert.ok(first !== undefined && isSpareNetns(first), `one spare, named as a spare: ${first}`);
  const given = spare.take(`${prefix}a`);
  assert.ok(given !== undefined, 'the ready spare is taken');
  assert.match(given.path, new RegExp(`^/proc/${process.pid}/fd/[0-9]+$`), 'held by the daemon\'s descriptor');
  const inode = async (path: string) => (await run('stat', ['-L', '-c', '%i', path])).stdout;
  const spareInode = await inode(`/run/netns/${first!}`);
  // Nothing more is taken until the taken spare's name is dropped and a new one made; the name
  // goes at once, before the bind and before any process joins: neither needs it (the race a93083e fixed).
  assert.equal(spare.take(`${prefix}b`), undefined);
  assert.equal(netnsExists(`${prefix}b`), false);
  await spare.replenish();
  const now = await spares(prefix);
  assert.equal(now.length, 1, `one spare at a time: ${now.join(' ')}`);
  assert.notEqual(now[0], first);
  // Joined through the descriptor, then bound under the pod's name: the same namespace.
  const seen = (await run('nsenter', [`--net=${given.path}`, 'stat', '-L', '-c', '%i', '/proc/self/ns/net'])).stdout;
  assert.equal(seen, spareInode, 'nsenter joins the taken namespace by its /proc path');
  const binding = given.bind();
  given.release(); // while the bind is under way: the descriptor is closed only once it has settled
  given.release(); // idempotent
  await binding;
  assert.ok(netnsExists(`${prefix}a`));
  assert.equal(await inode(`/run/netns/${prefix}a`), spareInode, 'the pod\'s name is the taken namespace');
  const lo = JSON.parse((await run('ip', ['-n', `${prefix}a`, '-j', 'link', 'show', 'lo'])).stdout) as { flags: string[] }[];
  assert.ok(lo[0]!.flags.includes('UP'), `lo is up in the taken namespace: ${JSON.stringify(lo)}`);

  // An existing name is never taken over: the spare stays.
  assert.equal(spare.take(`${prefix}a`), undefined);
  assert.ok(spare.ready());
  assert.deepEqual(await spares(prefix), now);

  await spare.close();
  assert.deepEqual(await spares(prefix), []);
  assert.ok(netnsExists(`${prefix}a`), 'close leaves the pods alone');
});

test('the spare of a daemon that has ended is swept; a live one is not', { skip: await netnsUnavailable() }, async (t) => {
  const prefix = `pxs${randomBytes(2).toString('hex')}-`;
  t.after(async () => {
    for (const ns of await namespacesWithPrefix(prefix)) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  });
  const ended = execFile('true');
  const deadPid = ended.pid!;
  await new Promise((done) => ended.on('exit', done)); // emitted once reaped: the pid is free
  await run('ip', ['netns', 'add', `${prefix}spare-${deadPid}-0a0b`]);
  await run('ip', ['netns', 'add', `${prefix}spare-${process.pid}-0c0d`]);
  const spare = createSpareNetns({ prefix, log: silentLogger });
  t.after(() => spare.close());
  await spare.sweep();
  assert.deepEqual(await spares(prefix), [`${prefix}spare-${process.pid}-0c0d`]);
});
