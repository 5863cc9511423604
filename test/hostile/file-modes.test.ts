// The daemon's files are root's alone whatever umask it was started with (issue 13): started
// under umask 000, the database (and SQLite's -wal/-shm beside it), the token, the CA key and
// the kubeconfig are 0600 and the data dir 0700, and what it writes later inherits umask 077.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemonProcess, tempDataDir } from '../api/daemon-process.ts';

test('pxevirt up under umask 000 creates nothing readable by others', { timeout: 120_000 }, async (t) => {
  const dataDir = join(tempDataDir(t), 'data');
  const previous = process.umask(0);
  let d;
  try {
    d = await startDaemonProcess(t, dataDir);
  } finally {
    process.umask(previous);
  }
  // A write, so the WAL exists.
  await d.kubectl(['create', 'namespace', 'modes']);
  const mode = (p: string) => statSync(p).mode & 0o777;
  assert.equal(mode(dataDir), 0o700, 'the data dir');
  for (const name of ['pxevirt.db', 'pxevirt.db-wal', 'token', 'kubeconfig']) {
    if (name.endsWith('-wal') && !existsSync(join(dataDir, name))) continue;
    assert.equal(mode(join(dataDir, name)), 0o600, name);
  }
  const loose = readdirSync(dataDir, { recursive: true, withFileTypes: true })
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .filter((p) => (statSync(p).mode & 0o077) !== 0);
  assert.deepEqual(loose, [], 'nothing under the data dir is open to group or others');
});
