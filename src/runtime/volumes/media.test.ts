import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { mkdir, writeFile } from 'node:fs/promises';
import { fetchMedia, ImportSourceError, MediaFormatError, openMedia, removeMedia, sweepMedia } from './media.ts';

/** An ISO 9660 look-alike: "CD001" where the primary volume descriptor has it. */
const iso = Buffer.alloc(40_960);
iso.write('\x01CD001', 32768, 'latin1');

async function serve(t: TestContext): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url === '/a.iso') return void res.end(iso);
    if (req.url === '/text') return void res.end(Buffer.alloc(40_960, 'x'));
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => server.close(() => ok())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function root(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'media-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('an ISO is downloaded to <root>/<uid>/cd.iso and removed on eject', async (t) => {
  const [base, dir] = await Promise.all([serve(t), root(t)]);
  const got = await fetchMedia(dir, 'uid-1', `${base}/a.iso`);
  assert.deepEqual(got, { path: join(dir, 'uid-1', 'cd.iso'), bytes: iso.length });
  assert.deepEqual(await readFile(got.path), iso);
  assert.equal(await openMedia(dir, 'uid-1'), got.path);
  await removeMedia(dir, 'uid-1');
  await assert.rejects(openMedia(dir, 'uid-1'), /expected the inserted image at .*cd\.iso, found none/);
});

test('refused: not http(s), an unsafe uid, a 404, a body over the limit, a file that is not an ISO — and nothing is left behind', async (t) => {
  const [base, dir] = await Promise.all([serve(t), root(t)]);
  await assert.rejects(fetchMedia(dir, 'uid-1', 'file:///etc/passwd'), (e: unknown) => e instanceof ImportSourceError && /found the scheme file:/.test(e.message));
  await assert.rejects(fetchMedia(dir, '../escape', `${base}/a.iso`), /expected a Kubernetes uid/);
  await assert.rejects(fetchMedia(dir, 'uid-1', `${base}/none.iso`), (e: unknown) => e instanceof ImportSourceError && /expected status code 200, got 404/.test(e.message));
  await assert.rejects(fetchMedia(dir, 'uid-1', `${base}/a.iso`, { maxBytes: 1000 }), /expected at most 1000 bytes, found Content-Length 40960/);
  await assert.rejects(fetchMedia(dir, 'uid-1', `${base}/text`), (e: unknown) => e instanceof MediaFormatError && /found "xxxxx"/.test(e.message));
  assert.deepEqual(await readdir(join(dir, 'uid-1')), [], 'no partial or refused file stays');
});

test("the media of VMs that are gone are swept; the others' and anything not named like a uid stay", async (t) => {
  const dir = await root(t);
  for (const d of ['live-vm', 'gone-vm', 'Not_A_Uid']) {
    await mkdir(join(dir, d));
    await writeFile(join(dir, d, 'cd.iso'), 'x');
  }
  assert.deepEqual(await sweepMedia(dir, new Set(['live-vm'])), ['gone-vm']);
  assert.deepEqual((await readdir(dir)).sort(), ['Not_A_Uid', 'live-vm']);
  assert.deepEqual(await sweepMedia(join(dir, 'absent'), new Set()), [], 'no media root yet: nothing to do');
  // At daemon start the unfinished downloads of the last daemon go too; the inserted images stay.
  await writeFile(join(dir, 'live-vm', 'cd.iso.part'), 'half');
  await sweepMedia(dir, new Set(['live-vm']));
  assert.deepEqual((await readdir(join(dir, 'live-vm'))).sort(), ['cd.iso', 'cd.iso.part'], 'before an insert: another download may be under way');
  await sweepMedia(dir, new Set(['live-vm']), { partials: true });
  assert.deepEqual(await readdir(join(dir, 'live-vm')), ['cd.iso']);
});
