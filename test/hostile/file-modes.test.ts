// The daemon's files are root's alone whatever umask it was started with (issue 13): started
// under umask 000, the database (and SQLite's -wal/-shm beside it), the token, the CA key and
// the kubeconfig are 0600 and the data dir 0700, and what it writes later inherits umask 077.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/lib/logger.ts';
import { defaultVmiSpec } from '../../src/resources/vmi-defaults.ts';
import type { VmiSpec } from '../../src/resources/vmi-schema.ts';
import { createLocalRuntime } from '../../src/runtime/local-runtime.ts';
import { DEFAULT_QEMU_USER, resolveRunAsUser } from '../../src/runtime/run-as.ts';
import { startDaemonProcess, tempDataDir } from '../api/daemon-process.ts';
import { netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable } from '../helpers/qemu.ts';

const runtimeSkip = (await netnsUnavailable()) ?? (await qemuUnavailable());

test('pxevirt up under umask 000 creates nothing readable by others', { timeout: 120_000 }, async (t) => {
  const dataDir = join(tempDataDir(t), 'data');
  const previous = process.umask(0);
  let d;
  try {
    d = await startDaemonProcess(t, dataDir);
  } finally {
    process.umask(previous);
  }
  // A write, so the WAL exists.
  await d.kubectl(['create', 'namespace', 'modes']);
  const mode = (p: string) => statSync(p).mode & 0o777;
  assert.equal(mode(dataDir), 0o700, 'the data dir');
  for (const name of ['pxevirt.db', 'pxevirt.db-wal', 'token', 'kubeconfig']) {
    if (name.endsWith('-wal') && !existsSync(join(dataDir, name))) continue;
    assert.equal(mode(join(dataDir, name)), 0o600, name);
  }
  const loose = readdirSync(dataDir, { recursive: true, withFileTypes: true })
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .filter((p) => (statSync(p).mode & 0o077) !== 0);
  assert.deepEqual(loose, [], 'nothing under the data dir is open to group or others');
});

// The runtime sets its run files' modes itself: started with umask 000 (no daemon setting
// 077), a UEFI guest's run dir — guest.json, qemu.args, the OVMF variables copy, pidfile,
// logs, QMP/serial/VNC sockets — is open to nobody else, and QEMU, which opened its disk
// under <data-dir>/volumes and everything else as root, then runs as pxevirt-qemu: it can
// write only in its own `qemu/` directory (a screendump), not in the run dir.
test('a guest\'s run files are root\'s alone under umask 000, and its QEMU runs as pxevirt-qemu', { timeout: 180_000, skip: runtimeSkip }, async (t) => {
  const dataDir = join(tempDataDir(t), 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  const claim = join(dataDir, 'volumes', 'default', 'c1', 'disk.img');
  mkdirSync(dirname(claim), { recursive: true, mode: 0o700 });
  writeFileSync(claim, Buffer.alloc(1 << 20), { mode: 0o600 });
  const qemuUser = await resolveRunAsUser(DEFAULT_QEMU_USER, 'qemuUser');
  const previous = process.umask(0);
  t.after(() => process.umask(previous));
  const runtime = createLocalRuntime({
    dataDir,
    log: silentLogger,
    netnsPrefix: `pxm${randomBytes(2).toString('hex')}-`,
    // The claim, opened by QEMU as root before the drop, and an overlay made by qemu-img (which follows the umask).
    volumes: async (_plan, o) => {
      const overlay = join(o.runDir, 'scratch.qcow2');
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', overlay, '1M']);
      return [{ name: 'root', path: claim, format: 'raw' }, { name: 'scratch', path: overlay, format: 'qcow2' }];
    },
    accel: async () => ({ accel: 'tcg', reason: 'test' }),
    qemuUser,
  });
  const spec: Record<string, unknown> = {
    domain: { firmware: { bootloader: { efi: { secureBoot: false } } }, resources: { requests: { memory: '128Mi' } }, devices: { autoattachPodInterface: false, disks: [{ name: 'root', disk: { bus: 'virtio' } }, { name: 'scratch', disk: { bus: 'virtio' } }] } },
    volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'c1' } }, { name: 'scratch', emptyDisk: { capacity: '1Mi' } }],
  };
  defaultVmiSpec(spec, 'modes');
  const uid = randomUUID();
  t.after(async () => {
    await runtime.cleanup(uid).catch(() => undefined);
    await runtime.close();
  });
  const obs = await runtime.start({ metadata: { name: 'modes', namespace: 'default', uid }, spec: spec as VmiSpec });
  assert.equal(obs.state, 'running');

  const status = readFileSync(`/proc/${obs.pid}/status`, 'utf8');
  const u = qemuUser.uid;
  assert.match(status, new RegExp(`^Uid:\\t${u}\\t${u}\\t${u}\\t${u}$`, 'm'), 'QEMU dropped to pxevirt-qemu');
  assert.ok(Object.values(fdTargets(obs.pid)).includes(claim), 'QEMU holds the claim it opened before the drop');

  // After the drop QEMU writes only where it owns the directory.
  const shot = runtime.qemuFile(uid, 'shot.png');
  await runtime.execute(uid, 'screendump', { filename: shot.qemu, format: 'png' });
  assert.equal(readFileSync(shot.host).subarray(1, 4).toString(), 'PNG');
  const { runDir } = runtime.paths(uid);
  await assert.rejects(runtime.execute(uid, 'screendump', { filename: join(runDir, 'x.png'), format: 'png' }), /Permission denied/);

  const entries = readdirSync(dataDir, { recursive: true, withFileTypes: true }).map((e) => join(e.parentPath ?? e.path, e.name));
  for (const name of ['guest.json', 'qemu.args', 'OVMF_VARS.fd', 'scratch.qcow2', 'qemu.pid', 'qemu.log', 'serial.log', 'qmp.sock', 'serial.sock', 'vnc.sock', 'qemu']) {
    assert.ok(entries.includes(join(runDir, name)), `${name} is in the run dir`);
  }
  const loose = entries.filter((p) => (lstatSync(p).mode & 0o077) !== 0).map((p) => `${p} ${(lstatSync(p).mode & 0o777).toString(8)}`);
  assert.deepEqual(loose, [], 'nothing under the data dir is open to group or others');
  const notRoot = entries.filter((p) => lstatSync(p).uid !== 0).map((p) => relative(dataDir, p));
  assert.deepEqual(notRoot.sort(), [relative(dataDir, join(runDir, 'qemu')), relative(dataDir, shot.host)].sort(), 'only QEMU\'s directory and what it wrote there are its user\'s');
});

/** What each of a process's descriptors points at. */
function fdTargets(pid: number): Record<string, string> {
  return Object.fromEntries(readdirSync(`/proc/${pid}/fd`).map((fd) => [fd, (() => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; } })()]));
}
