import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { UstarEntryError, ustarHeader, ustarStream, type UstarEntry } from '../../scripts/guest/ustar.ts';

const run = promisify(execFile);

async function archive(entries: UstarEntry[], data: Map<string, Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of ustarStream(entries, async function* (e) {
    yield data.get(e.path) ?? Buffer.alloc(0);
  })) parts.push(part);
  return Buffer.concat(parts);
}

test('GNU tar lists and extracts a directory and a file written by ustarStream', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-ustar-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const content = Buffer.from('x'.repeat(1000) + 'end\n');
  const tarball = await archive([{ type: 'dir', path: 'disk' }, { type: 'file', path: 'disk/disk.img', size: content.length }], new Map([['disk/disk.img', content]]));
  assert.equal(tarball.length % 512, 0);
  await writeFile(join(dir, 'layer.tar.gz'), gzipSync(tarball));
  const { stdout } = await run('tar', ['-tzf', join(dir, 'layer.tar.gz')]);
  assert.deepEqual(stdout.trim().split('\n'), ['disk/', 'disk/disk.img']);
  await run('tar', ['-xzf', join(dir, 'layer.tar.gz'), '-C', dir]);
  assert.deepEqual(await readFile(join(dir, 'disk', 'disk.img')), content);
});

test('GNU tar reads a path longer than 100 bytes through the ustar prefix field', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-ustar-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const long = `${'d'.repeat(120)}/${'f'.repeat(90)}`;
  const tarball = await archive([{ type: 'file', path: long, size: 3 }], new Map([[long, Buffer.from('abc')]]));
  await writeFile(join(dir, 'a.tar'), tarball);
  const { stdout } = await run('tar', ['-tf', join(dir, 'a.tar')]);
  assert.equal(stdout.trim(), long);
});

test('refuses an absolute path and content of the wrong size', async () => {
  assert.throws(() => ustarHeader({ type: 'file', path: '/etc/passwd', size: 1 }), UstarEntryError);
  await assert.rejects(archive([{ type: 'file', path: 'a', size: 5 }], new Map([['a', Buffer.from('abc')]])), /expected 5 bytes of content, found 3/);
});
