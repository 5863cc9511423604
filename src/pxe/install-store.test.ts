import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryLogger, silentLogger } from '../lib/logger.ts';
import { INSTALL_FILE, InstallStore } from './install-store.ts';

const MAC = 'de:00:00:00:00:01';

test('install state survives a reopen, in a 0600 file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxe-install-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await InstallStore.open(dir, { log: silentLogger });
  const token = store.begin(MAC, 'installer');
  await store.flush();
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(store.complete(token).ok, true);
  await store.flush();
  assert.equal(((await stat(join(dir, INSTALL_FILE))).mode & 0o777).toString(8), '600');
  const reopened = await InstallStore.open(dir, { log: silentLogger });
  assert.equal(reopened.decide(MAC, true), 'local');
  assert.equal(reopened.hosts()[0]?.state, 'Provisioned');
  assert.equal(reopened.reprovision(MAC), true);
  await reopened.flush();
  const third = await InstallStore.open(dir, { log: silentLogger });
  assert.equal(third.decide(MAC, true), 'install');
});

test('an unreadable install file is logged and replaced by an empty state', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxe-install-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, INSTALL_FILE), '{"hosts": {tru');
  const log = memoryLogger();
  const store = await InstallStore.open(dir, { log });
  assert.deepEqual(store.hosts(), []);
  assert.ok(log.records.some((r) => r.level === 'warn' && /install state/.test(String(r.msg))));
  store.begin(MAC, 'i');
  await store.flush();
  assert.equal(JSON.parse(await readFile(join(dir, INSTALL_FILE), 'utf8')).hosts[MAC].state, 'Installing');
});

test('changes made while a write waits share it, and the file ends with the last state', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxe-install-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await InstallStore.open(dir, { log: silentLogger });
  for (let i = 0; i < 200; i++) store.begin(`de:00:00:00:01:${(i % 256).toString(16).padStart(2, '0')}`, 'i');
  await store.flush();
  const saved = JSON.parse(await readFile(join(dir, INSTALL_FILE), 'utf8')) as { hosts: Record<string, unknown> };
  assert.equal(Object.keys(saved.hosts).length, 200);
});
