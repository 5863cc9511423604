// A DataVolume imported from the local registry (issue 14 Must-show 2), through kubectl against
// `pxevirt up` with its controllers and the registry as the docker.io mirror, no guest: the
// registry sends the containerDisk's layer slowly (about 6 s), so status.progress is seen moving
// through values between 0 and 100% while the phase is ImportInProgress; it ends Succeeded at
// 100.0% with the claim holding the disk byte for byte.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildContainerDiskLayout } from '../../scripts/guest/disk-image.ts';
import { kubectlMissing, startDaemonProcess } from '../api/daemon-process.ts';
import { registryUnavailable, startRegistry } from '../helpers/registry.ts';
import { until } from '../helpers/vmi-node.ts';

const MiB = 1024 * 1024;
const skip = kubectlMissing() ?? registryUnavailable();

test('a registry DataVolume shows its progress moving in status and lands the disk in its claim', { skip, timeout: 300_000 }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'pxevirt-regimport-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  // Random sectors: a raw image the layer's gzip cannot shrink, so the pacing shows.
  const disk = randomBytes(12 * MiB);
  await writeFile(join(work, 'disk.img'), disk);
  const registry = await startRegistry(t, { blobBytesPerSecond: 2 * MiB });
  await registry.push(await buildContainerDiskLayout({ name: 'regimport', disk: join(work, 'disk.img'), outDir: join(work, 'oci') }), 'pxevirt/regimport:latest');
  const d = await startDaemonProcess(t, undefined, { controllers: true, args: ['--registry-mirror', `docker.io=${registry.url}`, '--node-name', 'node-regimport'] });
  const dv = { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'from-registry' }, spec: { source: { registry: { url: 'docker://docker.io/pxevirt/regimport:latest' } }, storage: { resources: { requests: { storage: '64Mi' } } } } };
  const made = await d.kubectl(['create', '-f', '-'], JSON.stringify(dv));
  assert.equal(made.code, 0, made.stderr);
  const get = async (path: string) => (await d.kubectl(['get', 'dv', 'from-registry', '-o', `jsonpath=${path}`])).stdout;

  const seen = new Set<string>();
  await until('the registry import to succeed', async () => {
    const [phase, progress] = (await get('{.status.phase} {.status.progress}')).split(' ');
    if (phase === 'ImportInProgress' && progress) seen.add(progress);
    return phase === 'Succeeded' || (phase === 'Failed' && Promise.reject(new Error(`import failed: ${await get('{.status.conditions}')}`)));
  }, 240_000);
  const between = [...seen].filter((p) => /^\d+\.\d+%$/.test(p) && Number.parseFloat(p) > 0 && Number.parseFloat(p) < 100);
  assert.ok(between.length >= 2, `progress moved through values between 0 and 100% while importing: ${[...seen].join(', ')}`);
  assert.equal(await get('{.status.progress}'), '100.0%');
  assert.ok(registry.requests().some((r) => r.path.includes('/blobs/sha256:') && r.status === 200), 'the layer came from the local registry');
  const claim = await readFile(join(d.dataDir, 'volumes', 'default', 'from-registry', 'disk.img'));
  assert.equal(claim.length, 64 * MiB, 'the claim has the requested size');
  assert.ok(claim.subarray(0, disk.length).equals(disk), 'the claim holds the disk');
});
