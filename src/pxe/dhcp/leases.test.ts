import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseFileError, LeaseStore, LeaseTable, type Lease } from './leases.ts';

async function stateDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pxvt-leases-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const bound = (ip: string, mac: string): Lease => ({ ip, mac, state: 'bound', expiresAt: 2_000_000_000_000 });

test('keeps leases across a restart', async (t) => {
  const dir = await stateDir(t);
  const store = await LeaseStore.open(dir);
  assert.equal(store.apply([{ kind: 'set', lease: { ...bound('10.0.0.10', '02:00:00:00:00:01'), clientId: '01aa', hostname: 'n1' } }]), true);
  await store.flush();
  const again = await LeaseStore.open(dir);
  assert.deepEqual(again.get('10.0.0.10'), { ...bound('10.0.0.10', '02:00:00:00:00:01'), clientId: '01aa', hostname: 'n1' });
  assert.deepEqual(await readdir(dir), ['leases.json'], 'no temporary file left behind');
});

test('does not write offers, which need not survive a restart', async (t) => {
  const dir = await stateDir(t);
  const store = await LeaseStore.open(dir);
  assert.equal(store.apply([{ kind: 'set', lease: { ...bound('10.0.0.10', 'm'), state: 'offered' } }]), false);
  await store.flush();
  assert.deepEqual(await readdir(dir), []);
  store.apply([{ kind: 'set', lease: bound('10.0.0.11', 'n') }]);
  await store.flush();
  const file = JSON.parse(await readFile(join(dir, 'leases.json'), 'utf8')) as { leases: Lease[] };
  assert.deepEqual(file.leases.map((l) => l.ip), ['10.0.0.11']);
});

test('concurrent flushes all resolve with every change on disk', async (t) => {
  const dir = await stateDir(t);
  const store = await LeaseStore.open(dir);
  const waits: Array<Promise<void>> = [];
  for (let i = 0; i < 50; i++) {
    store.apply([{ kind: 'set', lease: bound(`10.0.1.${i}`, `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`) }]);
    waits.push(store.flush());
  }
  await Promise.all(waits);
  const reread = await LeaseStore.open(dir);
  assert.equal([...reread.all()].length, 50);
});

test('names the file when the lease file is not valid', async (t) => {
  const dir = await stateDir(t);
  const file = join(dir, 'leases.json');
  await writeFile(file, '{not json');
  await assert.rejects(LeaseStore.open(dir), (err: unknown) => err instanceof LeaseFileError && err.file === file && err.message.includes(file) && /expected JSON/.test(err.message));
  await writeFile(file, JSON.stringify({ version: 1, leases: [{ ip: 'x', mac: 'm' }] }));
  await assert.rejects(LeaseStore.open(dir), /leases\[0\] with ip, mac/);
  await writeFile(file, JSON.stringify([]));
  await assert.rejects(LeaseStore.open(dir), /expected an object with version 1/);
});

test('lists leases for status, sorted by address and marked when expired', () => {
  const table = new LeaseTable([bound('10.0.0.20', 'b'), { ...bound('10.0.0.9', 'a'), expiresAt: 5 }]);
  const list = table.list(10);
  assert.deepEqual(list.map((l) => [l.ip, l.expired]), [['10.0.0.9', true], ['10.0.0.20', false]]);
});
