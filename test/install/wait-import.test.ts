// `pxevirt wait-import` against `pxevirt up` and a local HTTP server sending a qcow2 slowly (about
// 4 s): plain progress lines that only go up while the import runs and a summary on stdout; the
// bar redrawn in place with --progress tty; a missing URL exits 1 with CDI's message naming it;
// a DataVolume that does not exist is kubectl's NotFound.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { kubectlMissing, startDaemonProcess } from '../api/daemon-process.ts';
import { pxevirt } from '../cli/cli-process.ts';

const skip = kubectlMissing();
const MiB = 1024 * 1024;

test('pxevirt wait-import follows a DataVolume import with progress and fails naming a missing source', { skip, timeout: 300_000 }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'pxevirt-wait-import-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  await writeFile(join(work, 'disk.raw'), randomBytes(8 * MiB));
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', join(work, 'disk.raw'), join(work, 'disk.qcow2')]);
  const qcow2 = await readFile(join(work, 'disk.qcow2'));
  const server = createServer((req, res) => {
    if (req.url !== '/disk.qcow2') return void res.writeHead(404, 'Not Found').end();
    res.writeHead(200, { 'content-length': qcow2.length });
    const piece = Math.ceil(qcow2.length / 40);
    let at = 0;
    const next = (): void => {
      if (at >= qcow2.length) return void res.end();
      const chunk = qcow2.subarray(at, at + piece);
      at += piece;
      res.write(chunk, () => setTimeout(next, 100));
    };
    next();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => server.close(() => ok())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const d = await startDaemonProcess(t, undefined, { controllers: true });
  const dv = (name: string, url: string) => ({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name }, spec: { source: { http: { url } }, storage: { resources: { requests: { storage: '16Mi' } } } } });

  const created = await d.kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [dv('golden', `${base}/disk.qcow2`), dv('missing', `${base}/no-such.qcow2`)] }));
  assert.equal(created.code, 0, created.stderr);

  // Plain lines (stderr is a pipe), then the summary on stdout.
  const plain = await pxevirt(d, ['wait-import', 'golden', '--timeout', '2m']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(!plain.stderr.includes('\r'), 'no carriage returns in plain mode');
  const percents = plain.stderr.split('\n').map((l) => /^importing golden: \w+ (\d+\.\d)%$/.exec(l)?.[1]).filter((p) => p !== undefined).map(Number);
  assert.ok(percents.some((p) => p > 0 && p < 100), `progress between 0 and 100% while it ran: ${plain.stderr}`);
  assert.deepEqual(percents, [...percents].sort((a, b) => a - b), 'progress only goes up');
  assert.match(plain.stderr.trimEnd().split('\n').at(-1) ?? '', /^importing golden: Succeeded 100\.0%$/);
  assert.match(plain.stdout, /^datavolume\.cdi\.kubevirt\.io\/golden imported \(\d+\.\d s\)\n$/);
  assert.equal((await d.kubectl(['get', 'dv', 'golden', '-o', 'jsonpath={.status.phase}'])).stdout, 'Succeeded');

  // The bar, as a terminal gets it.
  const tty = await pxevirt(d, ['wait-import', 'dv/golden', '--progress', 'tty']);
  assert.equal(tty.code, 0, tty.stderr);
  assert.match(tty.stderr, /^\r\x1b\[Kdv\/golden \[=+\] +100\.0%  Succeeded  \d+ s\n$/);

  // A missing source: exit 1, the message names the URL.
  const failed = await pxevirt(d, ['wait-import', 'dv', 'missing', '--progress', 'none']);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, new RegExp(`^error: DataVolume default/missing import failed: .*got 404.*\\(source ${base}/no-such\\.qcow2\\)$`, 'm'));
  assert.match(failed.stdout, /^datavolume\.cdi\.kubevirt\.io\/missing Failed after \d+\.\d s\n$/);

  const unknown = await pxevirt(d, ['wait-import', 'nothing-here']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /NotFound.*"nothing-here" not found/);
  const usage = await pxevirt(d, ['wait-import', 'vm/golden']);
  assert.notEqual(usage.code, 0);
  assert.match(usage.stderr, /expected NAME, dv NAME or dv\/NAME, found "vm\/golden"/);
});
