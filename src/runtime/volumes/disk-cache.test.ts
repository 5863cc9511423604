import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ContainerDiskLayoutError, ContainerDiskPathError, DiskCache, ImageNotCachedError } from './disk-cache.ts';
import { fakeRegistry } from './fake-registry.test-helper.ts';
import { PullLimitError } from './pull-limits.ts';
import { MEDIA } from './registry-client.ts';

const run = promisify(execFile);
const BASE = 'http://reg.test';
const mirrors = { 'docker.io': BASE };

/** A tar of `files` (path → content) made by GNU tar. */
async function tarOf(dir: string, files: Record<string, string>): Promise<Buffer> {
  const src = await mkdtemp(join(dir, 'src-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(src, path, '..'), { recursive: true });
    await writeFile(join(src, path), content);
  }
  await run('tar', ['-cf', join(src, '.tar'), '-C', src, ...Object.keys(files)]);
  return readFile(join(src, '.tar'));
}

function publish(reg: ReturnType<typeof fakeRegistry>, ref: string, layers: Buffer[]): string {
  const config = reg.blob('{}');
  return reg.manifest(
    ref,
    {
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config, size: 2 },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: reg.blob(l), size: l.length })),
    },
    MEDIA.dockerManifest,
  );
}

async function setup(t: { after(fn: () => unknown): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-cache-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const reg = fakeRegistry(BASE);
  return { dir, reg, cache: new DiskCache(join(dir, 'cache'), { fetch: reg.fetch }) };
}

test('extracts the one file under disk/ and reuses it without a download', async (t) => {
  const { dir, reg, cache } = await setup(t);
  publish(reg, 'kubevirt/demo:v1', [gzipSync(await tarOf(dir, { 'disk/disk.qcow2': 'DISK', 'etc/x': 'y' }))]);
  const first = await cache.pull('kubevirt/demo:v1', { mirrors, pullPolicy: 'Always' });
  assert.equal(await readFile(first.path, 'utf8'), 'DISK');
  assert.match(first.path, /\/cache\/disks\/[0-9a-f]{64}\/disk\.qcow2$/);
  assert.ok(first.downloaded > 0);
  const blobRequests = () => reg.requests.filter((u) => u.includes('/blobs/')).length;
  const before = blobRequests();
  const again = await cache.pull('kubevirt/demo:v1', { mirrors, pullPolicy: 'Always' });
  assert.equal(again.path, first.path);
  assert.equal(again.downloaded, 0);
  assert.equal(blobRequests(), before);
  const requests = reg.requests.length;
  await cache.pull('kubevirt/demo:v1', { mirrors, pullPolicy: 'IfNotPresent' });
  assert.equal(reg.requests.length, requests, 'IfNotPresent with a cached image asks the registry nothing');
});

test('takes the disk from the topmost layer that has one; uncompressed layers work', async (t) => {
  const { dir, reg, cache } = await setup(t);
  publish(reg, 'kubevirt/layered:v1', [gzipSync(await tarOf(dir, { 'disk/old.img': 'OLD' })), await tarOf(dir, { 'disk/new.img': 'NEW' }), gzipSync(await tarOf(dir, { 'README': 'no disk here' }))]);
  const pulled = await cache.pull('kubevirt/layered:v1', { mirrors });
  assert.equal(await readFile(pulled.path, 'utf8'), 'NEW');
  assert.match(pulled.path, /\/new\.img$/);
});

test('refuses an image with two files, or none, under disk/', async (t) => {
  const { dir, reg, cache } = await setup(t);
  publish(reg, 'kubevirt/two:v1', [gzipSync(await tarOf(dir, { 'disk/a.img': 'A', 'disk/b.img': 'B' }))]);
  await assert.rejects(cache.pull('kubevirt/two:v1', { mirrors }), (err: unknown) => err instanceof ContainerDiskLayoutError && /expected exactly one file under \/disk\/, found disk\/a.img, disk\/b.img/.test(err.message));
  publish(reg, 'kubevirt/none:v1', [gzipSync(await tarOf(dir, { 'disk/sub/deep.img': 'X', 'other.img': 'Y' }))]);
  await assert.rejects(cache.pull('kubevirt/none:v1', { mirrors }), /kubevirt\/none:v1: expected exactly one file under \/disk\/, found disk\/sub\/deep.img/);
});

test('imagePullPolicy Never fails when the image is not cached', async (t) => {
  const { cache } = await setup(t);
  await assert.rejects(cache.pull('kubevirt/demo:v1', { mirrors, pullPolicy: 'Never' }), ImageNotCachedError);
});

test('concurrent pulls of one image download its layer once', async (t) => {
  const { dir, reg, cache } = await setup(t);
  publish(reg, 'kubevirt/demo:v1', [gzipSync(await tarOf(dir, { 'disk/disk.img': 'D'.repeat(100_000) }))]);
  const [a, b] = await Promise.all([cache.pull('kubevirt/demo:v1', { mirrors }), cache.pull('kubevirt/demo:v1', { mirrors })]);
  assert.equal(a.path, b.path);
  const layerGets = reg.requests.filter((u) => u.includes('/blobs/')).length;
  assert.equal(layerGets, 1);
});

test('containerDisk.path picks that file, wherever it is in the image', async (t) => {
  const { dir, reg, cache } = await setup(t);
  publish(reg, 'kubevirt/custom:v1', [gzipSync(await tarOf(dir, { 'custom/a.img': 'A', 'custom/b.img': 'B' }))]);
  const b = await cache.pull('kubevirt/custom:v1', { mirrors, path: '/custom/b.img' });
  assert.equal(await readFile(b.path, 'utf8'), 'B');
  const a = await cache.pull('kubevirt/custom:v1', { mirrors, path: '/custom/a.img' });
  assert.equal(await readFile(a.path, 'utf8'), 'A');
  await assert.rejects(cache.pull('kubevirt/custom:v1', { mirrors, path: '/custom/c.img' }), ContainerDiskPathError);
});

test('a disk larger than the cap, or than the free space minus the reserve, is refused before extraction', async (t) => {
  const { dir, reg } = await setup(t);
  publish(reg, 'kubevirt/big:v1', [gzipSync(await tarOf(dir, { 'disk/disk.img': 'x'.repeat(5000) }))]);
  const capped = new DiskCache(join(dir, 'c1'), { fetch: reg.fetch, limits: { maxDiskBytes: 4096 } });
  await assert.rejects(capped.pull('kubevirt/big:v1', { mirrors }), (err: unknown) => err instanceof PullLimitError && /pulling kubevirt\/big:v1: disk file \/disk\/disk\.img in layer sha256:[0-9a-f]{64}: expected at most 4096 bytes, found 5000/.test(err.message));
  let free = 1_000_000_000;
  const full = new DiskCache(join(dir, 'c2'), { fetch: reg.fetch, limits: { reserveBytes: 1_000_000 }, freeBytes: async () => free });
  free = 1_001_000; // room for the blob (a few hundred bytes), not for the 5000-byte disk
  await assert.rejects(full.pull('kubevirt/big:v1', { mirrors }), (err: unknown) => err instanceof PullLimitError && /disk file \/disk\/disk\.img \(free space on .* is 1001000 bytes, 1000000 kept in reserve\): expected at most 1000 bytes, found 5000/.test(err.message));
  free = 10;
  const empty = new DiskCache(join(dir, 'c3'), { fetch: reg.fetch, freeBytes: async () => free });
  await assert.rejects(empty.pull('kubevirt/big:v1', { mirrors }), (err: unknown) => err instanceof PullLimitError && /layer sha256:[0-9a-f]{64} \(free space/.test(err.message));
  assert.ok(!existsSync(join(dir, 'c3', 'blobs', 'sha256')) || readdirSync(join(dir, 'c3', 'blobs', 'sha256')).length === 0, 'nothing downloaded');
});

test('a path in the cache built from a digest that is not sha256 hex is refused', async (t) => {
  const { cache } = await setup(t);
  assert.throws(() => cache.blobPath('sha256:../../etc'), /layer digest: expected a digest sha256:<64 lowercase hex>, found "sha256:..\/..\/etc"/);
  await assert.rejects(cache.cachedDisk('sha256:../../../dev/disk/by-id'), /expected a digest/);
});
