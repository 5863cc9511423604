// A registry is not trusted: a fake one serves a layer digest that walks out of the cache, a
// qcow2 whose data lives in a host file, a tar whose pax header is a memory bomb, a manifest
// bigger than any real one and a token realm on another host. `pxevirt pull` fails naming the
// image and the reason, nothing lands in (or outside) the cache, and the host file is never
// opened or created; a VMI on the traversal image fails the same way while the daemon serves on.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createGzip, gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { startDaemonProcess } from '../api/daemon-process.ts';
import { pxevirt } from '../cli/cli-process.ts';
import { startHostileRegistry } from './hostile-registry.ts';
import { namespacesWithPrefix } from '../helpers/netns.ts';

const run = promisify(execFile);
const skip = existsSync('/usr/bin/qemu-img') ? false : 'qemu-img not installed (qemu-utils)';

/** One ustar header block (`flag` '0' file, 'x' pax). */
function tarHeader(path: string, size: number, flag: string): Buffer {
  const b = Buffer.alloc(512);
  b.write(path, 0, 'utf8');
  b.write('0000644\0', 100, 'ascii');
  b.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  b.write(flag, 156, 'ascii');
  b.write('ustar\u000000', 257, 'ascii');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return b;
}

const tarFile = (path: string, data: Buffer) => Buffer.concat([tarHeader(path, data.length, '0'), data, Buffer.alloc((512 - (data.length % 512)) % 512), Buffer.alloc(1024)]);

/** gzip of a pax header member declaring `size` bytes, streamed so the test never holds them. */
async function paxBomb(size: number): Promise<Buffer> {
  const gz = createGzip({ level: 1 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve) => gz.on('end', resolve));
  gz.write(tarHeader('././@PaxHeader', size, 'x'));
  const zeros = Buffer.alloc(1 << 20);
  for (let n = 0; n < size; n += zeros.length) if (!gz.write(zeros.subarray(0, Math.min(zeros.length, size - n)))) await new Promise((r) => gz.once('drain', r));
  gz.end();
  await done;
  return Buffer.concat(out);
}

test('a hostile registry cannot reach host paths or exhaust the node', { skip, timeout: 180_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'pxevirt-hostile-reg-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const dataDir = join(work, 'data');
  const cacheDir = join(dataDir, 'cache', 'images');
  // The host's bait: a directory outside the data dir with one plain file in it.
  const bait = join(work, 'host', 'by-id');
  mkdirSync(bait, { recursive: true });
  writeFileSync(join(bait, 'host-disk'), 'HOST DATA');
  const reg = await startHostileRegistry(t);
  const pull = (image: string) => pxevirt(undefined, ['pull', image, '--data-dir', dataDir, '--registry-mirror', `docker.io=${reg.url}`]);
  const cachedDisks = () => (existsSync(join(cacheDir, 'disks')) ? readdirSync(join(cacheDir, 'disks')) : []);

  await t.test('a layer digest that walks out of the cache is refused before any path is made of it', async () => {
    const up = relative(join(cacheDir, 'disks'), bait);
    const digest = `sha256:${up}`;
    reg.image('hostile/traversal', 'latest', gzipSync(tarFile('disk/disk.img', Buffer.alloc(512))), { digest });
    const r = await pull('hostile/traversal:latest');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /hostile\/traversal:latest: manifest\.layers\[0\]\.digest: expected a digest sha256:<64 lowercase hex>, found "sha256:\.\.\//);
    assert.ok(!r.stdout.includes('host-disk'), `the host file was not taken as the disk: ${r.stdout}`);
    assert.deepEqual(cachedDisks(), []);
    assert.ok(!reg.requests.some((u) => u.includes('/blobs/sha256:..')), 'no blob request for the traversal digest');
  });

  await t.test('a qcow2 with an external data file is refused and the host file is never created', async () => {
    const hostData = join(work, 'host', 'data.raw');
    const q = join(work, 'evil.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `data_file=${hostData}`, q, '1M']);
    rmSync(hostData);
    reg.image('hostile/datafile', 'latest', gzipSync(tarFile('disk/disk.qcow2', await readFile(q))));
    const r = await pull('hostile/datafile:latest');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /hostile\/datafile:latest \(\/disk\/disk\.qcow2\): expected a qcow2 without an external data file/);
    assert.equal(existsSync(hostData), false, 'qemu-img never opened (created) the data file');
    assert.deepEqual(cachedDisks(), []);
  });

  await t.test('a 600 MiB pax header is refused at its header, in bounded memory', async () => {
    reg.image('hostile/paxbomb', 'latest', await paxBomb(600 * 1024 * 1024));
    const r = await run('/usr/bin/time', ['-f', 'maxrss=%M', join(import.meta.dirname, '../../bin/pxevirt'), 'pull', 'hostile/paxbomb:latest', '--data-dir', dataDir, '--registry-mirror', `docker.io=${reg.url}`]).then(
      () => assert.fail('the pull succeeded'),
      (err: { stderr: string }) => err,
    );
    assert.match(r.stderr, /expected a pax header of at most 1048576 bytes, found one of 629145600 bytes/);
    const rssKiB = Number(/maxrss=(\d+)/.exec(r.stderr)?.[1]);
    assert.ok(rssKiB < 400 * 1024, `pull's peak memory ${rssKiB} KiB stays far below the header's 600 MiB`);
    assert.deepEqual(cachedDisks(), []);
  });

  await t.test('a manifest over 4 MiB is refused', async () => {
    reg.manifest('hostile/bigmanifest', 'latest', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', annotations: { pad: 'x'.repeat(5 * 1024 * 1024) } });
    const r = await pull('hostile/bigmanifest:latest');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /hostile\/bigmanifest:latest: manifest at .*: expected at most 4194304 bytes, found \d+/);
  });

  await t.test('a token realm on another host is never asked', async () => {
    let asked = 0;
    const other = createServer((_req, res) => {
      asked++;
      res.end('{"token":"x"}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => other.close(() => resolve())));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    reg.challenge(`${otherUrl}/token`);
    t.after(() => reg.challenge(undefined));
    const r = await pull('hostile/realm:latest');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`hostile/realm:latest: expected the token realm's origin to be one of ${reg.url}, found ${otherUrl}`));
    assert.equal(asked, 0);
  });

  await t.test('through a VMI: the VMI fails naming the image and the reason, and the daemon keeps serving', async () => {
    reg.challenge(undefined);
    const prefix = `pxh${randomBytes(2).toString('hex')}-`;
    t.after(async () => {
      for (const ns of await namespacesWithPrefix(prefix)) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    });
    const d = await startDaemonProcess(t, join(work, 'vmi-data'), { controllers: true, args: ['--registry-mirror', `docker.io=${reg.url}`, '--netns-prefix', prefix] });
    const vmi = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: 'hostile-disk' },
      spec: { domain: { resources: { requests: { memory: '64Mi' } }, devices: { autoattachPodInterface: false, disks: [{ name: 'root', disk: { bus: 'virtio' } }] } }, volumes: [{ name: 'root', containerDisk: { image: 'hostile/traversal:latest' } }] },
    };
    assert.equal((await d.kubectl(['create', '-f', '-'], JSON.stringify(vmi))).code, 0);
    const waited = await d.kubectl(['wait', 'vmi/hostile-disk', '--for=jsonpath={.status.phase}=Failed', '--timeout=120s']);
    assert.equal(waited.code, 0, waited.stderr);
    const events = (await d.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=hostile-disk,type=Warning', '-o', 'jsonpath={.items[*].message}'])).stdout;
    assert.match(events, /hostile\/traversal:latest: manifest\.layers\[0\]\.digest: expected a digest sha256:<64 lowercase hex>, found "sha256:\.\.\//);
    assert.equal((await d.kubectl(['get', 'vmi', 'hostile-disk', '-o', 'name'])).code, 0, 'the daemon keeps serving');
    assert.ok(!existsSync(join(work, 'vmi-data', 'cache', 'images', 'disks')) || readdirSync(join(work, 'vmi-data', 'cache', 'images', 'disks')).length === 0, 'nothing cached');
    await d.kubectl(['delete', 'vmi', 'hostile-disk', '--grace-period=0', '--force', '--timeout=60s']);
  });

  assert.equal(await readFile(join(bait, 'host-disk'), 'utf8'), 'HOST DATA');
});
