import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createOverlay, imageInfo, UnsupportedDiskImageError } from './overlay.ts';

const run = promisify(execFile);
const skip = existsSync('/usr/bin/qemu-img') ? false : 'qemu-img not installed (qemu-utils)';

test('an overlay is qcow2 backed by the raw or qcow2 file, which stays untouched', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-overlay-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const raw = join(dir, 'base.img');
  await writeFile(raw, Buffer.alloc(1 << 20, 1));
  const o1 = await createOverlay(raw, join(dir, 'o1.qcow2'));
  assert.equal(o1.backingFormat, 'raw');
  const info = await imageInfo(o1.path);
  assert.deepEqual([info.format, info.backingFile, info.virtualSize], ['qcow2', raw, 1 << 20]);
  // Writing through the overlay leaves the base alone.
  await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x55 0 4096', o1.path]);
  const { stdout } = await run('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0x55 0 4096', o1.path]);
  assert.doesNotMatch(stdout, /Pattern verification failed/);
  assert.deepEqual(await readFile(raw), Buffer.alloc(1 << 20, 1));

  const q = join(dir, 'base.qcow2');
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', q, '1M']);
  assert.equal((await createOverlay(q, join(dir, 'o2.qcow2'))).backingFormat, 'qcow2');
});

test('a backing file that itself has a backing file is refused', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-overlay-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const raw = join(dir, 'base.img');
  await writeFile(raw, Buffer.alloc(65536));
  const chained = await createOverlay(raw, join(dir, 'chained.qcow2'));
  await assert.rejects(createOverlay(chained.path, join(dir, 'o.qcow2')), (err: unknown) => err instanceof UnsupportedDiskImageError && /expected a qcow2 without a backing file/.test(err.message));
});

test('a qcow2 with an external data file is refused before qemu-img opens it', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-overlay-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const hostFile = join(dir, 'host-secret.raw');
  const image = join(dir, 'evil.qcow2');
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `data_file=${hostFile}`, image, '1M']);
  await rm(hostFile);
  // Were the data file opened, creating the overlay would fail on the missing file, not on our check.
  await assert.rejects(createOverlay(image, join(dir, 'o.qcow2')), (err: unknown) => err instanceof UnsupportedDiskImageError && /expected a qcow2 without an external data file, found one with data-file set/.test(err.message));
  assert.equal(existsSync(join(dir, 'o.qcow2')), false);
});
