// containerDisk, cloudInitNoCloud and emptyDisk volumes end to end: the test disk image is
// built, pushed as kubevirt/fedora-cloud-container-disk-demo to a local registry that is
// configured as the docker.io mirror, prepared for a VMI, and booted by QEMU.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { buildContainerDiskLayout, buildTestDisk } from '../../scripts/guest/disk-image.ts';
import { cidataLinePrefix } from '../../scripts/guest/init-script.ts';
import { testGuestUnavailable } from '../../scripts/test-guest.ts';
import { planVolumes, type VolumesPlan } from '../../src/resources/device-plan.ts';
import type { VmiVolume } from '../../src/resources/vmi-schema.ts';
import type { PullProgress } from '../../src/runtime/types.ts';
import { DiskCache, prepareVolumes, RegistryError, UnsupportedVolumeError, type PreparedVolume } from '../../src/runtime/volumes/index.ts';
import { qemuUnavailable, startGuest } from '../helpers/qemu.ts';
import { registryUnavailable, startRegistry } from '../helpers/registry.ts';

const run = promisify(execFile);
const IMAGE = 'kubevirt/fedora-cloud-container-disk-demo';
const USER_DATA = '#cloud-config - pxevirt volumes test\npassword: fedora\nchpasswd: { expire: False }\n';

async function skipReason(): Promise<string | undefined> {
  for (const tool of ['/usr/bin/qemu-img', '/usr/bin/xorriso', '/usr/bin/syslinux', '/usr/bin/mcopy', '/usr/sbin/mkfs.vfat']) {
    if (!existsSync(tool)) return `${tool} not installed`;
  }
  return registryUnavailable() ?? (await testGuestUnavailable());
}

const sha256File = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

async function qemuImgInfo(path: string): Promise<{ format: string; 'virtual-size': number; 'backing-filename'?: string; 'backing-filename-format'?: string }> {
  const { stdout } = await run('qemu-img', ['info', '-U', '--output=json', path]);
  return JSON.parse(stdout) as { format: string; 'virtual-size': number };
}

/** The volume id of an ISO 9660 image, from its primary volume descriptor (sector 16). */
async function isoVolumeId(path: string): Promise<string> {
  const fh = await open(path);
  const pvd = Buffer.alloc(2048);
  await fh.read(pvd, 0, 2048, 16 * 2048);
  await fh.close();
  assert.equal(pvd[0], 1, 'primary volume descriptor type');
  assert.equal(pvd.subarray(1, 6).toString('ascii'), 'CD001');
  return pvd.subarray(40, 72).toString('ascii').trimEnd();
}

/** The volumes plan of a VMI with these volumes. */
function vmi(name: string, volumes: VmiVolume[]): VolumesPlan {
  return planVolumes({
    metadata: { name, namespace: 'default', uid: `0000-${name}` },
    spec: { domain: { devices: {}, firmware: { uuid: '5f2c6c07-2b0b-5c64-a3a5-54c83f3f0d1e' } }, volumes },
  });
}

const byName = (vols: PreparedVolume[], name: string) => {
  const v = vols.find((x) => x.name === name);
  assert.ok(v, `volume ${name} prepared`);
  return v;
};

test('volumes from a local registry mirror', { timeout: 300_000 }, async (t) => {
  const reason = await skipReason();
  if (reason) return t.skip(reason);
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-volumes-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  const disk = await buildTestDisk({ name: 'vol-disk' });
  const ociDir = await buildContainerDiskLayout({ name: 'vol-disk', disk: disk.path, outDir: join(dir, 'oci'), platformIndex: true });
  const registry = await startRegistry(t);
  // An index (linux/amd64 → manifest) the way multi-arch images are published …
  await registry.push(ociDir, `${IMAGE}:latest`, { all: true });
  // … and the same image as a Docker v2 schema 2 manifest.
  await registry.push(ociDir, 'kubevirt/docker-format:v1', { format: 'v2s2' });
  const mirrors = { 'docker.io': registry.url };
  const cacheDir = join(dir, 'cache');
  const cache = new DiskCache(cacheDir);
  const volumes = [
    { name: 'rootdisk', containerDisk: { image: IMAGE, imagePullPolicy: 'Always' } },
    { name: 'cloudinit', cloudInitNoCloud: { userData: USER_DATA } },
    { name: 'scratch', emptyDisk: { capacity: '64Mi' } },
  ];
  const blobGets = () => registry.requests().filter((r) => r.method === 'GET' && r.path.includes('/blobs/')).length;

  let first: PreparedVolume[] = [];
  await t.test('prepares a containerDisk as a qcow2 overlay backed by the cached disk', async () => {
    const progress: PullProgress[] = [];
    first = await prepareVolumes(vmi('vm1', volumes), { runDir: join(dir, 'run1'), cacheDir, cache, mirrors, onProgress: (p) => progress.push(p) });
    assert.deepEqual(first.map((v) => v.name), ['rootdisk', 'cloudinit', 'scratch']);
    const root = byName(first, 'rootdisk');
    assert.equal(root.format, 'qcow2');
    assert.equal(root.path, join(dir, 'run1', 'rootdisk.qcow2'));
    const info = await qemuImgInfo(root.path);
    assert.equal(info.format, 'qcow2');
    assert.equal(info['backing-filename-format'], 'raw');
    const backing = info['backing-filename'] ?? '';
    assert.match(backing, new RegExp(`^${cacheDir}/disks/[0-9a-f]{64}/disk\\.img$`));
    assert.equal(await sha256File(backing), await sha256File(disk.path), 'the cached file is the pushed disk');
    assert.ok(blobGets() >= 1, 'the layer was downloaded');
    const last = progress.at(-1);
    assert.equal(last?.done, true);
    assert.ok((last?.bytes ?? 0) > 0 && last?.bytes === last?.total, `progress ends with all bytes: ${JSON.stringify(last)}`);
  });

  await t.test('a second prepare for another run dir downloads nothing', async () => {
    const before = blobGets();
    const progress: PullProgress[] = [];
    const again = await prepareVolumes(vmi('vm2', volumes), { runDir: join(dir, 'run2'), cacheDir, mirrors, onProgress: (p) => progress.push(p) });
    assert.equal(blobGets(), before, 'no blob requests');
    assert.ok(progress.every((p) => p.bytes === 0), JSON.stringify(progress));
    const info = await qemuImgInfo(byName(again, 'rootdisk').path);
    assert.equal(info['backing-filename'], (await qemuImgInfo(byName(first, 'rootdisk').path))['backing-filename']);
  });

  await t.test('pulls an image published with a Docker v2 manifest', async () => {
    const vols = await prepareVolumes(vmi('vm3', [{ name: 'd', containerDisk: { image: 'kubevirt/docker-format:v1' } }]), { runDir: join(dir, 'run3'), cacheDir, mirrors });
    const info = await qemuImgInfo(byName(vols, 'd').path);
    assert.equal(await sha256File(info['backing-filename'] ?? ''), await sha256File(disk.path));
  });

  await t.test('the cloud-init ISO is labelled cidata and holds the VMI user-data and meta-data', async () => {
    const iso = byName(first, 'cloudinit');
    assert.equal(iso.cdrom, true);
    assert.equal(iso.readonly, true);
    assert.equal(await isoVolumeId(iso.path), 'cidata');
    const out = join(dir, 'iso-out');
    await run('xorriso', ['-osirrox', 'on', '-indev', iso.path, '-extract', '/', out]);
    assert.equal(await readFile(join(out, 'user-data'), 'utf8'), USER_DATA);
    assert.deepEqual(JSON.parse(await readFile(join(out, 'meta-data'), 'utf8')), { 'instance-id': '5f2c6c07-2b0b-5c64-a3a5-54c83f3f0d1e', 'local-hostname': 'vm1' });
    assert.equal(existsSync(join(out, 'network-config')), false);
  });

  await t.test('an emptyDisk is a qcow2 of the requested capacity', async () => {
    const info = await qemuImgInfo(byName(first, 'scratch').path);
    assert.equal(info.format, 'qcow2');
    assert.equal(info['virtual-size'], 64 * 2 ** 20);
  });

  await t.test('a missing image fails naming the image, the registry and the status', async () => {
    await assert.rejects(
      prepareVolumes(vmi('vm4', [{ name: 'd', containerDisk: { image: 'kubevirt/no-such-disk:v9' } }]), { runDir: join(dir, 'run4'), cacheDir, mirrors }),
      (err: unknown) => {
        assert.ok(err instanceof RegistryError, String(err));
        assert.equal(err.status, 404);
        assert.match(err.message, /kubevirt\/no-such-disk:v9/);
        assert.ok(err.message.includes(registry.url), err.message);
        return true;
      },
    );
  });

  await t.test('an unsupported volume type is refused naming the volume and the type', async () => {
    await assert.rejects(prepareVolumes(vmi('vm5', [{ name: 'host', hostDisk: { path: '/x' } }]), { runDir: join(dir, 'run5'), cacheDir }), (err: unknown) => {
      assert.ok(err instanceof UnsupportedVolumeError);
      assert.match(err.message, /volume host: type hostDisk is not supported/);
      return true;
    });
  });

  await t.test('QEMU boots the overlay to the guest marker and the guest reads the cloud-init ISO', async (st) => {
    const unavailable = await qemuUnavailable();
    if (unavailable) return st.skip(unavailable);
    const root = byName(first, 'rootdisk');
    const iso = byName(first, 'cloudinit');
    const guest = await startGuest(st, {
      nics: [],
      extraArgs: [
        '-drive', `file=${root.path},format=qcow2,if=none,id=root`,
        '-device', 'virtio-blk-pci,drive=root,bootindex=1',
        '-drive', `file=${iso.path},format=raw,if=none,id=ci,media=cdrom,readonly=on`,
        '-device', 'ide-cd,drive=ci,bus=ide.1',
      ],
    });
    await guest.waitFor(disk.marker, { timeoutMs: 150_000 });
    await guest.waitFor(`${cidataLinePrefix}${USER_DATA.split('\n')[0]}`, { timeoutMs: 30_000 });
    const backing = (await qemuImgInfo(root.path))['backing-filename'] ?? '';
    assert.equal(await sha256File(backing), await sha256File(disk.path), 'the guest did not write the cached image');
  });
});
