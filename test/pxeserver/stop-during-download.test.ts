// `pxevirt up` stops within seconds whatever its controllers are doing: SIGTERM while a
// PXEServer's image is being downloaded from a server that never finishes the answer (on this
// machine's loopback, where the daemon runs) ends the daemon within 5 s, not at the download's
// 10-minute deadline.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { kubectlMissing, startDaemonProcess, tempDataDir } from '../api/daemon-process.ts';
import { createNodeNamespace, ip, netnsUnavailable } from '../helpers/netns.ts';
import { seedNadPxeServer } from '../helpers/pxe.ts';

const skip = kubectlMissing() ?? (await netnsUnavailable());
const SEED_NAD = '/work/shared/seed-scenario/pxe-net-conf.yaml';

test('SIGTERM during a PXEServer image download stops the daemon within 5 s', { skip, timeout: 120_000 }, async (t) => {
  const node = await createNodeNamespace(t, { bridge: 'br1' });
  const prefix = `pxsd${randomBytes(2).toString('hex')}-`;
  t.after(async () => {
    for (const ns of (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith(prefix))) await ip('netns', 'del', ns).catch(() => undefined);
  });
  // Sends the headers and a first chunk, then nothing: the download never completes.
  const open = new Set<ServerResponse>();
  let downloadStarted!: () => void;
  const started = new Promise<void>((resolve) => (downloadStarted = resolve));
  const web = createServer((req, res) => {
    open.add(res);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(100_000_000) });
    res.write(Buffer.alloc(1024));
    if (req.url === '/slowkernel') downloadStarted();
  });
  await new Promise<void>((done) => web.listen(0, '127.0.0.1', done));
  t.after(() => new Promise<void>((done) => (open.forEach((r) => r.destroy()), web.close(() => done()))));
  const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/slowkernel`;

  const dataDir = tempDataDir(t);
  const daemon = await startDaemonProcess(t, dataDir, { controllers: true, args: ['--node-netns', node.name, '--pxe-netns-prefix', prefix, '--netns-prefix', `${prefix}v`] });
  const nad = await daemon.kubectl(['apply', '-f', SEED_NAD]);
  assert.equal(nad.code, 0, nad.stderr);
  const manifest = seedNadPxeServer('slow', { dhcp: { mode: 'off' }, images: [{ name: 'net', kernel: url, initrd: [], cmdline: '' }], defaultImage: 'net' });
  const created = await daemon.kubectl(['create', '-f', '-'], JSON.stringify(manifest));
  assert.equal(created.code, 0, created.stderr);
  await Promise.race([started, new Promise((_, fail) => setTimeout(() => fail(new Error('the daemon did not start the image download within 60 s')), 60_000).unref())]);

  const t0 = Date.now();
  const stopping = daemon.stop();
  const code = await Promise.race([stopping, new Promise<'hung'>((done) => setTimeout(() => done('hung'), 5000).unref())]);
  const took = Date.now() - t0;
  assert.notEqual(code, 'hung', `expected pxevirt up to exit within 5 s of SIGTERM, still running after ${took} ms`);
  assert.ok(took < 5000, `took ${took} ms`);
});
