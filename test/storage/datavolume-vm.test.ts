// DataVolumes and PersistentVolumeClaims end to end with `pxevirt up`, kubectl, a local HTTP
// server, the local registry and real QEMU (two boots in all):
// - http imports of the bootable test disk as qcow2 (progress moving in status) and raw.xz
//   (into a qcow2 claim), a registry import through the mirror, and a clone, each checked byte
//   for byte against the disk; a missing URL and a text file end Failed naming the URL;
// - a VM whose dataVolumeTemplates are a clone (its root disk) and a blank Block disk: the VM
//   waits for them, the guest boots from the claim, sees the blank disk's requested size and
//   writes to it; its own `reboot -f` resets QEMU and boots again with the VMI still Running
//   (same uid); the daemon is SIGKILLed and restarted and adopts it; the VM is stopped and the
//   guest's write is in the claim's file; deleting the VM deletes its DataVolumes, claims and
//   files, while the standalone DataVolumes stay.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { qemusWith, startVmiNode, typeOnSerial, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';

const skip = await vmiNodeUnavailable();
const MiB = 1024 * 1024;
const DATA_MARK = 'PXEVIRT-DATA-MARK';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The guest-visible bytes of a claim (qcow2 read through qemu-img), cut to `length`. */
function claimBytes(dataDir: string, name: string, work: string, length: number): Buffer {
  const dir = join(dataDir, 'volumes', 'default', name);
  const qcow2 = join(dir, 'disk.qcow2');
  let path = join(dir, 'disk.img');
  if (existsSync(qcow2)) {
    path = join(work, `${name}.raw`);
    execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2, path]);
  }
  return readFileSync(path).subarray(0, length);
}

test('DataVolumes import, clone and back a VM whose disk outlives reboots, a daemon SIGKILL and a stop', { skip, timeout: 1_200_000 }, async (t) => {
  const node = await startVmiNode(t, { name: 'stg-disk', nodeName: 'node-stg' });
  const { disk, dataDir } = node;
  const kubectl = node.kubectl;
  const jsonpath = node.jsonpath;
  const work = await mkdtemp(join(tmpdir(), 'pxevirt-stg-'));
  t.after(() => rm(work, { recursive: true, force: true }));

  const raw = await readFile(disk.path);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', disk.path, join(work, 'disk.qcow2')]);
  const files: Record<string, Buffer> = {
    '/disk.qcow2': await readFile(join(work, 'disk.qcow2')),
    '/disk.raw.xz': execFileSync('xz', ['-0', '-T0', '-c', disk.path], { maxBuffer: 256 * MiB }),
    '/notes.txt': Buffer.from('release notes: this is not a disk image\n'),
  };
  // The qcow2 is sent slowly (about 5 s), so its progress can be seen moving.
  const server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (!body) return res.writeHead(404, 'Not Found').end();
    res.writeHead(200, { 'content-length': body.length });
    const piece = req.url === '/disk.qcow2' ? Math.ceil(body.length / 50) : body.length;
    let at = 0;
    const next = (): void => {
      if (at >= body.length) return void res.end();
      const chunk = body.subarray(at, at + piece);
      at += piece;
      res.write(chunk, () => setTimeout(next, req.url === '/disk.qcow2' ? 100 : 0));
    };
    next();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => server.close(() => ok())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const size = `${Math.ceil(raw.length / MiB) + 16}Mi`;
  const dv = (name: string, source: unknown, storage: Record<string, unknown> = { resources: { requests: { storage: size } } }) => ({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name }, spec: { source, storage } });
  const phase = (name: string) => jsonpath('dv', name, '{.status.phase}');

  await kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
    dv('golden', { http: { url: `${base}/disk.qcow2` } }),
    dv('from-xz', { http: { url: `${base}/disk.raw.xz` } }, { storageClassName: 'local-qcow2', resources: { requests: { storage: size } } }),
    dv('from-registry', { registry: { url: `docker://docker.io/${node.image}` } }),
    dv('missing', { http: { url: `${base}/no-such-disk.img` } }),
    dv('notes', { http: { url: `${base}/notes.txt` } }),
  ] }));
  const progress = new Set<string>();
  await until('the qcow2 import to succeed', async () => {
    progress.add(await jsonpath('dv', 'golden', '{.status.progress}'));
    return (await phase('golden')) === 'Succeeded';
  }, 300_000);
  const between = [...progress].filter((p) => /^\d+\.\d\d%$/.test(p) && Number.parseFloat(p) > 0 && Number.parseFloat(p) < 100);
  assert.ok(between.length >= 1, `progress moved through values between 0 and 100%: ${[...progress].join(', ')}`);
  assert.equal(await jsonpath('dv', 'golden', '{.status.progress}'), '100.0%');
  for (const name of ['from-xz', 'from-registry']) await until(`${name} to succeed`, async () => (await phase(name)) === 'Succeeded', 300_000);
  for (const [name, url] of [['missing', `${base}/no-such-disk.img`], ['notes', `${base}/notes.txt`]] as const) {
    await until(`${name} to fail`, async () => (await phase(name)) === 'Failed', 120_000);
    const message = await jsonpath('dv', name, '{.status.conditions[?(@.type=="Running")].message}');
    assert.ok(message.includes(url), `${name}: the message names ${url}: ${message}`);
    assert.match(message, name === 'missing' ? /expected status code 200, got 404/ : /not a disk image/);
  }
  assert.match(await kubectl(['get', 'pvc', 'golden']), /golden\s+Bound\s+pvc-\S+\s+\d+Mi\s+RWO\s+local\s/);
  for (const name of ['golden', 'from-xz', 'from-registry']) assert.equal(sha(claimBytes(dataDir, name, work, raw.length)), sha(raw), `${name} holds the disk`);

  // The VM: a clone of golden as its root disk, a blank Block disk for data.
  const vm = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'installed' },
    spec: {
      runStrategy: 'Always',
      dataVolumeTemplates: [
        { metadata: { name: 'installed-root' }, spec: { source: { pvc: { name: 'golden' } }, storage: {} } },
        { metadata: { name: 'installed-data' }, spec: { source: { blank: {} }, storage: { volumeMode: 'Block', resources: { requests: { storage: '100Mi' } } } } },
      ],
      template: {
        spec: {
          domain: { resources: { requests: { memory: '128Mi' } }, devices: { autoattachPodInterface: false, disks: [{ name: 'root', bootOrder: 1, disk: { bus: 'virtio' } }, { name: 'data', disk: { bus: 'virtio' } }] } },
          terminationGracePeriodSeconds: 0,
          volumes: [{ name: 'root', dataVolume: { name: 'installed-root' } }, { name: 'data', dataVolume: { name: 'installed-data' } }],
        },
      },
    },
  };
  await kubectl(['create', '-f', '-'], JSON.stringify(vm));
  // The VMI exists only once both DataVolumes succeeded (kubectl wait fails at once on a missing object).
  await until('the VM to make its VMI', async () => (await jsonpath('vmi', 'installed', '{.metadata.name}')) === 'installed', 300_000);
  await kubectl(['wait', 'vmi/installed', '--for=jsonpath={.status.phase}=Running', '--timeout=300s']);
  assert.equal(await phase('installed-root'), 'Succeeded', 'the VMI was created only after its DataVolumes succeeded');
  assert.equal(await jsonpath('dv', 'installed-root', '{.metadata.ownerReferences[0].kind}'), 'VirtualMachine');
  const uid = await jsonpath('vmi', 'installed', '{.metadata.uid}');
  const markers = async () => (await node.serial(uid)).split(disk.marker).length - 1;
  await until('the guest booted from its cloned root disk', async () => (await markers()) >= 1, 300_000);
  await until('the guest shell', async () => (await node.serial(uid)).includes('PXEVIRT-GUEST ready'), 120_000);

  await typeOnSerial(node.serialSocket(uid), `\necho SECTORS=$(cat /sys/block/vdb/size)\nprintf ${DATA_MARK} > /dev/vdb && sync && echo WROTE-DATA\n`);
  await until('the guest to report its data disk and write it', async () => (await node.serial(uid)).includes('WROTE-DATA'), 60_000);
  assert.match(await node.serial(uid), new RegExp(`SECTORS=${(100 * MiB) / 512}\\b`), 'the guest sees the requested 100Mi');

  // The guest reboots itself: QEMU resets, the firmware boots the disk again, the VMI stays.
  await typeOnSerial(node.serialSocket(uid), '\nreboot -f\n');
  await until('the guest to boot a second time', async () => (await markers()) >= 2, 300_000);
  assert.equal(await jsonpath('vmi', 'installed', '{.metadata.uid}'), uid, 'the same VMI');
  assert.equal(await jsonpath('vmi', 'installed', '{.status.phase}'), 'Running');
  const [qemu] = await qemusWith(uid);
  assert.ok(qemu, 'one QEMU, still running');

  // The daemon dies; the new one adopts the guest and keeps the claims.
  await node.restart();
  await until('the adopted VMI to be Running', async () => (await jsonpath('vmi', 'installed', '{.status.phase}')) === 'Running', 60_000);
  assert.deepEqual(await qemusWith(uid), [qemu], 'the same QEMU process');
  assert.equal(await phase('installed-data'), 'Succeeded');

  // Stopped: the VMI and its QEMU go, the guest's write stays in the claim's file.
  await kubectl(['patch', 'vm', 'installed', '--type', 'merge', '-p', '{"spec":{"runStrategy":"Halted"}}']);
  await until('the VMI to be gone', async () => (await node.daemon.kubectl(['get', 'vmi', 'installed'])).code !== 0, 120_000);
  await until('QEMU to exit', async () => (await qemusWith(uid)).length === 0, 60_000);
  assert.equal(claimBytes(dataDir, 'installed-data', work, DATA_MARK.length).toString(), DATA_MARK);
  assert.equal((await stat(join(dataDir, 'volumes', 'default', 'installed-data', 'disk.img'))).size, 100 * MiB);

  // Deleting the VM deletes what it owns; standalone DataVolumes stay.
  await kubectl(['delete', 'vm', 'installed', '--wait=false']);
  await until('the VM\'s DataVolumes, claims and files to be gone', async () => {
    const left = await kubectl(['get', 'dv,pvc', '-o', 'name']);
    return !left.includes('installed-') && !existsSync(join(dataDir, 'volumes', 'default', 'installed-root')) && !existsSync(join(dataDir, 'volumes', 'default', 'installed-data'));
  }, 120_000);
  assert.equal(await phase('golden'), 'Succeeded');
  assert.ok(existsSync(join(dataDir, 'volumes', 'default', 'golden', 'disk.img')));
});
