// The spare network namespace against the real kernel: taken under a pod's name with loopback up,
// replaced in the background, never taken over an existing name, deleted on close, and a dead
// daemon's spare swept at the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { silentLogger } from '../../src/lib/logger.ts';
import { createSpareNetns } from '../../src/runtime/netns-spare.ts';
import { netnsExists } from '../../src/runtime/pod.ts';
import { netnsUnavailable } from '../helpers/netns.ts';
import { netnsWithPrefix } from '../helpers/vmi-node.ts';

const run = promisify(execFile);

async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; !(await ok()); i++) {
    assert.ok(i < 600, `${what} (waited 60 s)`);
    await sleep(100);
  }
}

const spares = async (prefix: string) => (await netnsWithPrefix(prefix)).filter((n) => n.startsWith(`${prefix}spare-`));

test('a pod takes the spare namespace, a new one is made, close deletes it', { skip: await netnsUnavailable() }, async (t) => {
  const prefix = `pxs${randomBytes(2).toString('hex')}-`;
  t.after(async () => {
    for (const ns of await netnsWithPrefix(prefix)) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  });
  const spare = createSpareNetns({ prefix, log: silentLogger });
  t.after(() => spare.close());

  // None ready at first: the caller makes its own, and a spare is made for next time.
  assert.equal(await spare.take(`${prefix}a`), false);
  assert.equal(netnsExists(`${prefix}a`), false);
  await until('a spare is made', async () => (await spares(prefix)).length === 1);
  const [first] = await spares(prefix);
  await until('the spare is ready', async () => spare.ready());
  assert.equal(await spare.take(`${prefix}a`), true);
  assert.ok(netnsExists(`${prefix}a`));
  const lo = JSON.parse((await run('ip', ['-n', `${prefix}a`, '-j', 'link', 'show', 'lo'])).stdout) as { flags: string[] }[];
  assert.ok(lo[0]!.flags.includes('UP'), `lo is up in the taken namespace: ${JSON.stringify(lo)}`);
  // The spare's own name went and a different spare replaced it.
  await until('a new spare replaces the taken one', async () => {
    const now = await spares(prefix);
    return now.length === 1 && now[0] !== first && spare.ready();
  });

  // An existing name is never taken over: the spare stays.
  const before = await spares(prefix);
  await until('the new spare is ready', async () => spare.ready());
  assert.equal(await spare.take(`${prefix}a`), false);
  assert.ok(spare.ready());
  assert.deepEqual(await spares(prefix), before);

  await spare.close();
  assert.deepEqual(await spares(prefix), []);
  assert.ok(netnsExists(`${prefix}a`), 'close leaves the pods alone');
});

test('the spare of a daemon that has ended is swept; a live one is not', { skip: await netnsUnavailable() }, async (t) => {
  const prefix = `pxs${randomBytes(2).toString('hex')}-`;
  t.after(async () => {
    for (const ns of await netnsWithPrefix(prefix)) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  });
  const ended = execFile('true');
  const deadPid = ended.pid!;
  await new Promise((done) => ended.on('exit', done));
  await sleep(50); // reaped
  await run('ip', ['netns', 'add', `${prefix}spare-${deadPid}-0a0b`]);
  await run('ip', ['netns', 'add', `${prefix}spare-${process.pid}-0c0d`]);
  const spare = createSpareNetns({ prefix, log: silentLogger });
  t.after(() => spare.close());
  await spare.sweep();
  assert.deepEqual(await spares(prefix), [`${prefix}spare-${process.pid}-0c0d`]);
});
