import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createOverlay, imageInfo, readTemplate, UnsupportedDiskImageError, writeTemplate } from './overlay.ts';

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

test('a later overlay over the same file version is written from the first one\'s bytes: the same as qemu-img makes, and usable', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-overlay-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const base = join(dir, 'base.qcow2');
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', base, '3G']);
  await createOverlay(base, join(dir, 'first.qcow2'));
  const second = join(dir, 'second.qcow2');
  await createOverlay(base, second);
  const byQemuImg = join(dir, 'by-qemu-img.qcow2');
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base, byQemuImg]);
  assert.deepEqual(await readFile(second), await readFile(byQemuImg));
  assert.equal((await stat(second)).mode & 0o777, 0o600);
  await run('qemu-img', ['check', '-q', second]);
  await run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 1G 65536', second]);
  const { stdout } = await run('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0x5a 1G 65536', second]);
  assert.doesNotMatch(stdout, /Pattern verification failed/);

  // The backing file replaced (another format and size): the next overlay follows it.
  await rm(base);
  await writeFile(base, Buffer.alloc(2 << 20));
  const third = await createOverlay(base, join(dir, 'third.qcow2'));
  assert.equal(third.backingFormat, 'raw');
  const info = await imageInfo(third.path);
  assert.deepEqual([info.virtualSize, info.backingFile], [2 << 20, base]);
});

test('a template is only taken from what an empty overlay can be', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-overlay-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const full = join(dir, 'full');
  await writeFile(full, Buffer.alloc(1 << 20, 7));
  assert.equal(await readTemplate(full), undefined);
  const sparse = join(dir, 'sparse');
  const bytes = Buffer.alloc(3000);
  bytes.write('QFI', 0);
  bytes[2000] = 1;
  await writeFile(sparse, bytes);
  const template = await readTemplate(sparse);
  assert.deepEqual(template?.extents.map((e) => [e.offset, e.bytes.length]), [[0, 512], [1536, 512]]);
  const copy = join(dir, 'copy');
  writeTemplate(template!, copy);
  assert.deepEqual(await readFile(copy), bytes);
});
