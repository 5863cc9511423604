// Imports with real qemu-img and xz from an HTTP server on 127.0.0.1:0.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { findClaim, provisionClaim, removeClaim } from './claims.ts';
import { importFile, importHttp, ImportSourceError } from './importer.ts';

const MiB = 1024 * 1024;
const MARK = 'PXEVIRT-IMPORT-MARK';

async function fixture(t: { after(fn: () => unknown): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-import-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const raw = Buffer.alloc(4 * MiB);
  raw.write(MARK, 0);
  raw.write(MARK, 3 * MiB);
  await writeFile(join(dir, 'src.raw'), raw);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', join(dir, 'src.raw'), join(dir, 'src.qcow2')]);
  const files: Record<string, Buffer> = {
    '/disk.qcow2': await readFile(join(dir, 'src.qcow2')),
    '/disk.raw.xz': execFileSync('xz', ['-c', join(dir, 'src.raw')]),
    '/disk.raw.gz': gzipSync(raw),
    '/notes.txt': Buffer.from('these are release notes, not a disk\n'),
  };
  const server = createServer((req, res) => {
    if (req.url === '/moved') return res.writeHead(302, { location: '/disk.qcow2' }).end();
    const body = files[req.url ?? ''];
    if (!body) return res.writeHead(404, 'Not Found').end();
    res.writeHead(200, { 'content-length': body.length });
    // In pieces, so progress is reported more than once.
    let at = 0;
    const next = (): void => {
      if (at >= body.length) return void res.end();
      res.write(body.subarray(at, at + 64 * 1024), () => setImmediate(next));
      at += 64 * 1024;
    };
    next();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => server.close(() => ok())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const claims = join(dir, 'volumes');
  const claim = (name: string, format: 'raw' | 'qcow2', sizeBytes = 8 * MiB) => provisionClaim(claims, 'default', name, { uid: `uid-${name}`, format, sizeBytes, volumeMode: 'Filesystem' });
  return { dir, base, claims, claim };
}

/** The guest-visible bytes of a claim's disk (qcow2 read through qemu-img). */
function guestBytes(path: string, format: string, dir: string): Buffer {
  const out = join(dir, 'view.raw');
  execFileSync('qemu-img', ['convert', '-f', format, '-O', 'raw', path, out]);
  return readFileSync(out);
}

test('a qcow2 and an xz raw over HTTP land in raw and qcow2 claims at the claim size, with progress', async (t) => {
  const f = await fixture(t);
  for (const [url, format] of [['/disk.qcow2', 'raw'], ['/disk.raw.xz', 'qcow2'], ['/disk.raw.gz', 'raw'], ['/moved', 'qcow2']] as const) {
    const disk = await f.claim(`c${format}${url.length}`, format);
    const seen: number[] = [];
    await importHttp({ url: f.base + url }, disk, { onProgress: (p) => seen.push(p), limits: { reserveBytes: 0 } });
    const bytes = guestBytes(disk.path, format, f.dir);
    assert.equal(bytes.length, 8 * MiB, `${url}: the claim keeps its requested size`);
    assert.equal(bytes.subarray(0, MARK.length).toString(), MARK, `${url}: first sector`);
    assert.equal(bytes.subarray(3 * MiB, 3 * MiB + MARK.length).toString(), MARK, `${url}: data at 3 MiB`);
    assert.equal(seen.at(-1), 100, `${url}: progress ends at 100`);
    if (url === '/disk.qcow2') assert.ok(seen.some((p) => p > 0 && p < 100), `progress moved: ${seen.join(' ')}`);
  }
});

test('a missing URL, text, and an image larger than the claim fail naming the source; the claim is left as it was', async (t) => {
  const f = await fixture(t);
  const disk = await f.claim('bad', 'raw');
  const fails = async (url: string, pattern: RegExp, d = disk) => {
    const err = await importHttp({ url: f.base + url }, d, { limits: { reserveBytes: 0 } }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ImportSourceError, `${url}: ${String(err)}`);
    assert.match(err.message, pattern);
    assert.ok(err.message.includes(f.base + url), `the message names the URL: ${err.message}`);
  };
  await fails('/nope.img', /expected status code 200, got 404/);
  await fails('/notes.txt', /not a disk image: expected a qcow2 or raw disk image, found text/);
  await fails('/disk.qcow2', /Virtual image size 4194304 is larger than the reported available storage 1048576. A larger PVC is required./, await f.claim('small', 'raw', MiB));
  await fails('/disk.raw.xz', /larger than the claim|Virtual image size/, await f.claim('small2', 'qcow2', MiB));
  assert.equal((await stat(disk.path)).size, 8 * MiB);
  assert.ok((await readFile(disk.path)).every((b) => b === 0), 'the failed imports wrote nothing into the disk');
});

test('a download past the byte limit is cut off, and an aborted import stops at once', async (t) => {
  const f = await fixture(t);
  const disk = await f.claim('cap', 'raw');
  await assert.rejects(importHttp({ url: `${f.base}/disk.qcow2` }, disk, { limits: { maxDownloadBytes: 1000, reserveBytes: 0 } }), /expected at most 1000 bytes, found Content-Length/);
  const aborter = new AbortController();
  aborter.abort();
  await assert.rejects(importHttp({ url: `${f.base}/disk.qcow2` }, disk, { signal: aborter.signal, limits: { reserveBytes: 0 } }), { name: 'AbortError' });
});

test('a clone copies a claim into another of another format; claims are found only for their uid and removed', async (t) => {
  const f = await fixture(t);
  const source = await f.claim('golden', 'qcow2');
  await importHttp({ url: `${f.base}/disk.qcow2` }, source, { limits: { reserveBytes: 0 } });
  const target = await f.claim('copy', 'raw', 16 * MiB);
  await importFile(source.path, 'default/golden', target, { known: { format: 'qcow2', virtualSize: source.sizeBytes } });
  const bytes = guestBytes(target.path, 'raw', f.dir);
  assert.equal(bytes.length, 16 * MiB);
  assert.equal(bytes.subarray(3 * MiB, 3 * MiB + MARK.length).toString(), MARK);
  assert.equal(await findClaim(f.claims, 'default', 'copy', 'another-uid'), undefined);
  assert.equal(await removeClaim(f.claims, 'default', 'copy', 'another-uid'), false);
  assert.equal(await removeClaim(f.claims, 'default', 'copy', 'uid-copy'), true);
  assert.equal(await findClaim(f.claims, 'default', 'copy'), undefined);
  await assert.rejects(provisionClaim(f.claims, 'default', '../escape', { uid: 'x', format: 'raw', sizeBytes: 512, volumeMode: 'Block' }), /expected a DNS-1123 claim name, found "..\/escape"/);
});
