// A daemon started against another database (an empty one, in the same data dir) while a guest
// of the first run is running (issue 13): the guest is untouched — the same QEMU, its run dir
// and disks where they were — and the first daemon, back on its own database, adopts it Running.
// Real QEMU (TCG) under `pxevirt up`; the guest need not finish booting.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { buildContainerDiskLayout, buildTestDisk } from '../../scripts/guest/disk-image.ts';
import { testGuestUnavailable } from '../../scripts/test-guest.ts';
import { kubectlMissing, startDaemonProcess, tempDataDir, type DaemonProcess } from '../api/daemon-process.ts';
import { netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable } from '../helpers/qemu.ts';
import { registryUnavailable, startRegistry } from '../helpers/registry.ts';
import { qemusWith, until } from '../helpers/vmi-node.ts';

const run = promisify(execFile);
const skip = kubectlMissing() ?? (await netnsUnavailable()) ?? (await qemuUnavailable()) ?? (await testGuestUnavailable()) ?? registryUnavailable();
const IMAGE = 'pxevirt/store-disk:latest';
const DB_FILES = ['pxevirt.db', 'pxevirt.db-wal', 'pxevirt.db-shm'];

const vmi = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'kept' },
  spec: {
    domain: { resources: { requests: { memory: '128Mi' } }, devices: { autoattachPodInterface: false, disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
    terminationGracePeriodSeconds: 0,
    volumes: [{ name: 'root', containerDisk: { image: IMAGE } }],
  },
};

const phaseOf = async (d: DaemonProcess): Promise<string> => (await d.kubectl(['get', 'vmi', 'kept', '-o', 'jsonpath={.status.phase}'])).stdout.trim();

test('a daemon on an empty database leaves another run\'s running guest untouched, and its own daemon adopts it again', { skip, timeout: 900_000 }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'pxevirt-stores-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const disk = await buildTestDisk({ name: 'console-disk' });
  const registry = await startRegistry(t);
  await registry.push(await buildContainerDiskLayout({ name: 'console-disk', disk: disk.path, outDir: join(work, 'oci') }), IMAGE);
  const prefix = `pxsto${randomBytes(2).toString('hex')}-`;
  const dataDir = tempDataDir(t);
  const options = { controllers: true, args: ['--registry-mirror', `docker.io=${registry.url}`, '--netns-prefix', prefix] };
  let d = await startDaemonProcess(t, dataDir, options);
  // Whatever happens, no guest or pod of this run outlives the test.
  t.after(async () => {
    await d.kill9();
    for (const pid of await qemusWith(dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const ns of (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith(prefix))) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
  });

  assert.equal((await d.kubectl(['create', '-f', '-'], JSON.stringify(vmi))).code, 0);
  await until('the VMI Running', async () => (await phaseOf(d)) === 'Running', 300_000);
  const uid = (await d.kubectl(['get', 'vmi', 'kept', '-o', 'jsonpath={.metadata.uid}'])).stdout.trim();
  const runDir = join(dataDir, 'run', 'vmi', uid);
  const [qemu, ...more] = await qemusWith(uid);
  assert.ok(qemu !== undefined && more.length === 0, 'one QEMU');
  const files = (await readdir(runDir)).sort();

  // The same data dir, an empty database: another store.
  await d.kill9();
  for (const f of DB_FILES) await rename(join(dataDir, f), join(dataDir, `${f}.kept`)).catch(() => undefined);
  d = await startDaemonProcess(t, dataDir, options);
  await until('the daemon to say it left the guest alone', async () => /a guest of another store is running here: left alone/.test(d.log()), 60_000);
  assert.equal((await d.kubectl(['get', 'vmi', '-o', 'name'])).stdout.trim(), '', 'the new store has no VMI');
  assert.deepEqual(await qemusWith(uid), [qemu], 'the other run\'s QEMU still runs');
  assert.deepEqual((await readdir(runDir)).sort(), files, 'its run dir (overlay, sockets, logs) is as it was');
  assert.deepEqual(await readdir(join(dataDir, 'run', 'quarantine')).catch(() => []), [], 'nothing moved aside while it runs');

  // Back on its own database, the first store adopts its guest: Running, the same QEMU.
  await d.kill9();
  for (const f of DB_FILES) {
    await rm(join(dataDir, f), { force: true });
    await rename(join(dataDir, `${f}.kept`), join(dataDir, f)).catch(() => undefined);
  }
  d = await startDaemonProcess(t, dataDir, options);
  await until('the VMI Running again', async () => (await phaseOf(d)) === 'Running', 120_000);
  assert.deepEqual(await qemusWith(uid), [qemu], 'adopted, not restarted');
  assert.equal((await d.kubectl(['delete', 'vmi', 'kept', '--timeout=120s'])).code, 0);
  await until('the QEMU gone', async () => (await qemusWith(uid)).length === 0, 120_000);
});
