import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corruptName, LeaseStore, readLeaseText } from './lease-file.ts';
import type { Lease } from './leases.ts';

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

test('writes the lease file 0600 whatever the umask', async (t) => {
  const dir = await stateDir(t);
  const old = process.umask(0);
  t.after(() => process.umask(old));
  await writeFile(join(dir, `leases.json.tmp-${process.pid}`), 'stale', { mode: 0o666 });
  const store = await LeaseStore.open(dir);
  store.apply([{ kind: 'set', lease: bound('10.0.0.10', 'a') }]);
  await store.flush();
  assert.equal((await stat(join(dir, 'leases.json'))).mode & 0o777, 0o600);
});

test('tells an empty file from a corrupt one (pure)', () => {
  const empty = readLeaseText(' \n', 'f');
  const corrupt = readLeaseText('{"version":1,"leases":[{"ip":', 'f');
  assert.ok('reason' in empty && empty.reason === 'LeasesFileEmpty');
  assert.ok('reason' in corrupt && corrupt.reason === 'LeasesFileCorrupt');
  assert.deepEqual(readLeaseText('{"version":1,"leases":[]}', 'f'), { leases: [] });
  assert.equal(corruptName('/s/leases.json', Date.UTC(2026, 11, 5, 12, 0, 1)), '/s/leases.json.corrupt-2026-12-05T120001000Z');
});

for (const [name, text, reason] of [['an empty', '', 'LeasesFileEmpty'], ['a corrupt', '{"version":1,"leases":[{"ip":"10.0', 'LeasesFileCorrupt']] as const) {
  test(`moves ${name} lease file aside and starts empty, saying so`, async (t) => {
    const dir = await stateDir(t);
    await writeFile(join(dir, 'leases.json'), text);
    const store = await LeaseStore.open(dir, { now: () => Date.UTC(2026, 11, 5, 12, 0, 1) });
    assert.equal([...store.all()].length, 0);
    assert.equal(store.recovered?.reason, reason);
    assert.equal(store.recovered?.movedTo, join(dir, 'leases.json.corrupt-2026-12-05T120001000Z'));
    assert.match(store.recovered?.message ?? '', /bad lease file .*leases\.json: expected JSON.*moved it to .*corrupt-.*started with no leases/);
    assert.deepEqual(await readdir(dir), ['leases.json.corrupt-2026-12-05T120001000Z']);
    assert.equal(await readFile(join(dir, 'leases.json.corrupt-2026-12-05T120001000Z'), 'utf8'), text, 'the bad file is kept for a look');
    // The next write makes a good file again.
    store.apply([{ kind: 'set', lease: bound('10.0.0.10', 'a') }]);
    await store.flush();
    const again = await LeaseStore.open(dir);
    assert.equal(again.recovered, undefined);
    assert.equal(again.get('10.0.0.10')?.mac, 'a');
  });
}
