// `pxevirt pull` against a local registry (Debian's docker-registry on loopback) through a
// docker.io mirror given as a flag or in `pxevirt up`'s config file: the containerDisk lands
// in the data dir's image cache with progress on stderr (plain lines when stderr is not a
// terminal, a bar redrawn in place with --progress tty); a second pull downloads nothing; a
// missing image fails naming the registry URL and the status.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildContainerDiskLayout, buildTestDisk } from '../../scripts/guest/disk-image.ts';
import { testGuestUnavailable } from '../../scripts/test-guest.ts';
import { registryUnavailable, startRegistry } from '../helpers/registry.ts';
import { pxevirt } from './cli-process.ts';

const skip = registryUnavailable() ?? (await testGuestUnavailable());
const IMAGE = 'pxevirt/pull-disk:latest';

test('pxevirt pull fills the node\'s image cache through the mirror, with progress on stderr', { skip, timeout: 300_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'pxevirt-pull-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const disk = await buildTestDisk({ name: 'pull-disk' });
  const registry = await startRegistry(t);
  await registry.push(await buildContainerDiskLayout({ name: 'pull-disk', disk: disk.path, outDir: join(work, 'oci') }), IMAGE);
  const blobGets = () => registry.requests().filter((r) => r.method === 'GET' && r.path.includes('/blobs/')).length;
  const dataDir = join(work, 'data');

  await t.test('plain progress lines when stderr is not a terminal, the digest and the cached disk on stdout', async () => {
    const r = await pxevirt(undefined, ['pull', IMAGE, '--data-dir', dataDir, '--registry-mirror', `docker.io=${registry.url}`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.ok(!r.stderr.includes('\r'), 'no carriage returns in plain mode');
    const percents = lines.map((l) => new RegExp(`^pulling ${IMAGE}: (\\d+)% \\(.+ of .+\\)$`).exec(l)?.[1]).filter((p) => p !== undefined).map(Number);
    assert.ok(percents.length >= 2 && percents.includes(100), `progress lines up to 100%, found ${percents.join(', ')}`);
    assert.deepEqual(percents, [...percents].sort((a, b) => a - b), 'progress only goes up');
    assert.match(lines.at(-1)!, new RegExp(`^${IMAGE}: pulled \\d+\\.\\d MiB in \\d+\\.\\d s \\(.+/s\\)$`));
    const m = /^digest: (sha256:[0-9a-f]{64})\ndisk: (.+)\n$/.exec(r.stdout);
    assert.ok(m, `stdout: ${r.stdout}`);
    assert.ok(m[2]!.startsWith(join(dataDir, 'cache', 'images', 'disks')), 'the daemon\'s cache dir');
    assert.equal(statSync(m[2]!).size, statSync(disk.path).size, 'the disk file, whole');
    assert.ok(blobGets() > 0);
  });

  await t.test('a second pull, mirror from the config file, downloads nothing', async () => {
    const config = join(work, 'config.yaml');
    writeFileSync(config, `dataDir: data\nregistryMirrors:\n  docker.io: ${registry.url}\n`);
    const before = blobGets();
    const r = await pxevirt(undefined, ['pull', IMAGE, '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `${IMAGE}: up to date in the cache, nothing downloaded\n`);
    assert.equal(blobGets(), before, 'no blob fetched again');
    assert.ok(registry.requests().some((q) => q.path.includes('/manifests/latest')), 'the tag is resolved at the registry');
  });

  await t.test('--progress tty redraws one bar in place', async () => {
    const fresh = join(work, 'data-tty');
    const r = await pxevirt(undefined, ['pull', IMAGE, '--data-dir', fresh, '--registry-mirror', `docker.io=${registry.url}`, '--progress', 'tty']);
    assert.equal(r.code, 0, r.stderr);
    const draws = r.stderr.split('\r\x1b[K').slice(1);
    assert.ok(draws.length >= 1, `redraws, found: ${JSON.stringify(r.stderr.slice(0, 200))}`);
    assert.match(draws.at(-1)!, /\[=+\]  100%  \d+\.\d MiB \/ \d+\.\d MiB/);
    assert.match(r.stderr, new RegExp(`\\n${IMAGE}: pulled .+\\n$`));
    assert.ok(existsSync(join(fresh, 'cache', 'images', 'blobs', 'sha256')));
  });

  await t.test('a missing image fails naming the registry URL and the status', async () => {
    const r = await pxevirt(undefined, ['pull', 'pxevirt/no-such-disk:v9', '--data-dir', dataDir, '--registry-mirror', `docker.io=${registry.url}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`error: pulling pxevirt/no-such-disk:v9 from ${registry.url}/v2/pxevirt/no-such-disk/manifests/v9: HTTP 404`));
  });
});
