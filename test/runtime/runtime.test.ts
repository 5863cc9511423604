// The local runtime end to end with real QEMU under TCG, four guests booting at once, each in
// its own pod netns (a prefix unique to this run):
//   alpha   direct kernel boot; adopted by a second runtime object; killed with grace 0
//   bravo   direct kernel boot; powers itself off (typed on its serial socket) while no
//           runtime watches it: the next runtime still learns it was a shutdown
//   charlie boots its disk: NIC bootOrder 1 (no network: iPXE gives up), disk bootOrder 2,
//           a second NIC without bootOrder that is never PXE-tried; then QEMU is SIGKILLed
//   delta   started by a separate "daemon" process that is then kill -9'd; adopted; stopped
//           with a grace period the guest does not honour (no ACPI handling) → killed
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { buildTestDisk } from '../../scripts/guest/disk-image.ts';
import { buildTestGuest, testGuestUnavailable } from '../../scripts/test-guest.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { defaultVmiSpec } from '../../src/resources/vmi-defaults.ts';
import { createLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../src/runtime/local-runtime.ts';
import { netnsExists } from '../../src/runtime/pod.ts';
import type { VmiSpec } from '../../src/resources/vmi-schema.ts';
import type { GuestObservation, VmiObject } from '../../src/runtime/types.ts';
import { namespacesWithPrefix, netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable } from '../helpers/qemu.ts';
import { cleanSerial, qemusWith, typeOnSerial } from '../helpers/vmi-node.ts';

const run = promisify(execFile);
const skip = (await netnsUnavailable()) ?? (await qemuUnavailable({ roms: ['virtio-net-pci'] })) ?? (await testGuestUnavailable());

const RUNNER = join(import.meta.dirname, 'runtime-runner.ts');
const PXE_MAC = '02:00:00:00:aa:01';
const DATA_MAC = '02:00:00:00:aa:02';

function vmi(name: string, more: Record<string, unknown> = {}): VmiObject {
  const spec: Record<string, unknown> = { domain: { resources: { requests: { memory: '256Mi' } }, devices: { autoattachPodInterface: false } }, ...more };
  defaultVmiSpec(spec, name);
  return { metadata: { name, namespace: 'default', uid: randomUUID() }, spec: spec as VmiSpec };
}

const diskBootVmi = () =>
  vmi('charlie', {
    domain: {
      resources: { requests: { memory: '256Mi' } },
      devices: {
        disks: [{ name: 'root', bootOrder: 2, disk: { bus: 'sata' } }],
        interfaces: [
          { name: 'pxe', bridge: {}, bootOrder: 1, macAddress: PXE_MAC },
          { name: 'data', bridge: {}, model: 'e1000', macAddress: DATA_MAC },
        ],
      },
    },
    networks: [
      { name: 'pxe', multus: { networkName: 'pxe' } },
      { name: 'data', multus: { networkName: 'data' } },
    ],
    volumes: [{ name: 'root', containerDisk: { image: 'example/disk:1' } }],
  });

async function waitForLog(path: string, text: string, timeoutMs = 150_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = cleanSerial(await readFile(path, 'utf8').catch(() => ''));
    if (log.includes(text)) return log;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${JSON.stringify(text)} in ${path}; last lines:\n${log.split('\n').slice(-15).join('\n')}`);
    await sleep(250);
  }
}

async function waitForExit(rt: LocalRuntime, uid: string, timeoutMs = 30_000): Promise<GuestObservation> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const obs = rt.observe(uid);
    if (obs?.state === 'exited') return obs;
    if (Date.now() > deadline) throw new Error(`guest ${uid} did not exit within ${timeoutMs} ms (state ${obs?.state})`);
    await sleep(200);
  }
}

test('guests run as detached QEMU in their own pods: boot, bootOrder, QMP, adoption, stop, power-off, crash', { skip, timeout: 300_000 }, async (t) => {
  const [guest, disk] = await Promise.all([buildTestGuest({ name: 'rt-guest' }), buildTestDisk({ name: 'rt-disk' })]);
  const dataDir = await mkdtemp(join(tmpdir(), 'pxevirt-runtime-'));
  const netnsPrefix = `pxt${randomBytes(2).toString('hex')}-`;
  const runtimes: LocalRuntime[] = [];
  const uids: string[] = [];
  const kernelArgs = ['-kernel', guest.vmlinux ?? guest.kernel, '-initrd', guest.initrd, '-append', 'console=ttyS0 pxevirt.dhcp=off'];
  const opts: LocalRuntimeOptions = {
    dataDir,
    log: silentLogger,
    netnsPrefix,
    // A stand-in for the volumes helper: a qcow2 overlay over the test disk for charlie.
    volumes: async (v, o) => {
      if (v.name !== 'charlie') return [];
      const path = join(o.runDir, 'root.qcow2');
      await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', disk.path, '-F', 'raw', path]);
      return [{ name: 'root', path, format: 'qcow2' }];
    },
    accel: async () => ({ accel: 'tcg', reason: 'the test runs under TCG' }),
    extraArgs: (v) => (v.metadata.name === 'charlie' ? [] : kernelArgs),
  };
  const make = () => {
    const rt = createLocalRuntime(opts);
    runtimes.push(rt);
    return rt;
  };
  t.after(async () => {
    const rt = make();
    for (const uid of uids) await rt.cleanup(uid).catch(() => undefined);
    for (const r of runtimes) await r.close();
    // The runner was SIGKILLed: its spare namespace has no one left to delete it.
    for (const ns of await namespacesWithPrefix(netnsPrefix)) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  // delta: started by another process standing in for the daemon.
  const d = vmi('delta');
  uids.push(d.metadata.uid);
  const daemon = spawn(process.execPath, ['--import', 'tsx', RUNNER, JSON.stringify({ dataDir, netnsPrefix, kernel: kernelArgs[1], initrd: guest.initrd, vmi: d })], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => daemon.kill('SIGKILL'));
  const daemonSaid = new Promise<GuestObservation>((resolve, reject) => {
    let out = '';
    daemon.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0] ?? '') as GuestObservation);
    });
    daemon.on('exit', (code) => reject(new Error(`the runner exited (${code}) before starting delta`)));
  });

  const rt1 = make();
  const changes: GuestObservation[] = [];
  rt1.onChange((o) => changes.push(o));
  const [a, b, c] = [vmi('alpha'), vmi('bravo'), diskBootVmi()];
  uids.push(a.metadata.uid, b.metadata.uid, c.metadata.uid);
  const started = await Promise.all([a, b, c].map((v) => rt1.start(v)));
  for (const obs of started) {
    assert.equal(obs.state, 'running');
    assert.equal(obs.softwareEmulation, true);
    assert.ok(obs.netns.startsWith(netnsPrefix) && netnsExists(obs.netns), `pod netns ${obs.netns} exists`);
  }
  assert.deepEqual(started[2]?.interfaces, [{ name: 'pxe', mac: PXE_MAC }, { name: 'data', mac: DATA_MAC }]);
  assert.ok(changes.some((o) => o.uid === a.metadata.uid && o.state === 'running'), 'listeners heard of the start');
  // QEMU runs inside the pod netns, not in ours.
  assert.notEqual(await readlink(`/proc/${started[0]!.pid}/ns/net`), await readlink('/proc/self/ns/net'));

  const deltaStarted = await daemonSaid;
  daemon.kill('SIGKILL');
  await Promise.all([a, b, d].map((v) => waitForLog(rt1.paths(v.metadata.uid).serialLog, guest.marker)));
  assert.deepEqual(await rt1.execute(a.metadata.uid, 'query-status'), { status: 'running', singlestep: false, running: true });

  // A restarted daemon: the first runtime lets go; while nothing watches, bravo powers itself
  // off; a new runtime adopts the guests still running and learns how bravo ended.
  await rt1.close();
  await typeOnSerial(rt1.paths(b.metadata.uid).serialSocket, '\npoweroff -f\n');
  for (let i = 0; (await qemusWith(rt1.paths(b.metadata.uid).runDir)).length > 0; i++) {
    assert.ok(i < 300, 'bravo powered off within 60 s');
    await sleep(200);
  }
  const rt2 = make();
  const adopted = await rt2.adopt();
  assert.deepEqual(adopted.map((o) => o.uid).sort(), [a, b, c, d].map((v) => v.metadata.uid).sort());
  const states = Object.fromEntries(adopted.map((o) => [o.uid, o.state]));
  for (const v of [a, c, d]) assert.equal(states[v.metadata.uid], 'running', `${v.metadata.name} adopted running`);
  assert.equal(rt2.observe(b.metadata.uid)?.exit?.kind, 'shutdown', `bravo: ${JSON.stringify(rt2.observe(b.metadata.uid)?.exit)}`);
  assert.equal(rt2.observe(a.metadata.uid)?.pid, started[0]?.pid);
  assert.equal(rt2.observe(d.metadata.uid)?.pid, deltaStarted.pid, 'delta survived its daemon being killed');
  assert.deepEqual(await rt2.execute(d.metadata.uid, 'query-status'), { status: 'running', singlestep: false, running: true });
  // Starting an adopted VMI again returns the running guest: still one QEMU each.
  await rt2.start(a);
  assert.deepEqual(await qemusWith(rt2.paths(a.metadata.uid).runDir), [started[0]?.pid]);
  assert.deepEqual(await qemusWith(rt2.paths(d.metadata.uid).runDir), [deltaStarted.pid]);

  // Grace 0 kills at once.
  await rt2.stop(a.metadata.uid, 0);
  assert.equal((await waitForExit(rt2, a.metadata.uid)).exit?.kind, 'killed');
  assert.deepEqual(await qemusWith(rt2.paths(a.metadata.uid).runDir), []);

  // A grace period the guest ignores (nothing handles the ACPI button): killed when it ends.
  await rt2.stop(d.metadata.uid, 2);
  const dExit = await waitForExit(rt2, d.metadata.uid);
  assert.equal(dExit.exit?.kind, 'killed');
  assert.match(dExit.exit?.reason ?? '', /grace period of 2s/);


  // charlie: iPXE on the NIC with bootOrder 1 only, then the disk.
  const serial = await waitForLog(rt2.paths(c.metadata.uid).serialLog, disk.marker);
  assert.match(serial, new RegExp(`net0: ${PXE_MAC}`), 'iPXE tried the NIC with a bootOrder');
  assert.ok(!serial.includes(DATA_MAC), 'the NIC without a bootOrder was never PXE-tried');
  assert.ok(serial.indexOf('iPXE') < serial.indexOf(disk.marker), 'the disk booted after the NIC');

  // QEMU killed behind the runtime's back is a crash, with a reason.
  process.kill(rt2.observe(c.metadata.uid)!.pid, 'SIGKILL');
  const cExit = await waitForExit(rt2, c.metadata.uid);
  assert.equal(cExit.exit?.kind, 'crashed');
  assert.match(cExit.exit?.reason ?? '', /SIGKILL/);

  // The outcomes survive another restart (exit.json in the run dir).
  await rt2.close();
  const rt3 = make();
  await rt3.adopt();
  assert.equal(rt3.observe(b.metadata.uid)?.exit?.kind, 'shutdown');
  assert.equal(rt3.observe(c.metadata.uid)?.exit?.kind, 'crashed');
  assert.equal(rt3.observe(a.metadata.uid)?.exit?.kind, 'killed');

  // cleanup removes the pod.
  const { netns, runDir } = rt3.observe(a.metadata.uid)!;
  await rt3.cleanup(a.metadata.uid);
  assert.ok(!netnsExists(netns), `netns ${netns} removed`);
  assert.ok(!existsSync(runDir), `run dir ${runDir} removed`);
  assert.equal(rt3.observe(a.metadata.uid), undefined);
});

test('a QEMU that refuses its command line fails the start with what QEMU said, recorded as crashed', { skip, timeout: 60_000 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'pxevirt-runtime-'));
  const netnsPrefix = `pxt${randomBytes(2).toString('hex')}-`;
  const rt = createLocalRuntime({
    dataDir,
    log: silentLogger,
    netnsPrefix,
    volumes: async () => [],
    accel: async () => ({ accel: 'tcg', reason: 'the test runs under TCG' }),
    extraArgs: () => ['-device', 'no-such-device'],
  });
  const v = vmi('broken');
  t.after(async () => {
    await rt.cleanup(v.metadata.uid).catch(() => undefined);
    await rt.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  await assert.rejects(rt.start(v), (err: unknown) => err instanceof Error && err.name === 'GuestStartError' && /no-such-device/.test(err.message));
  const obs = rt.observe(v.metadata.uid);
  assert.equal(obs?.state, 'exited');
  assert.equal(obs?.exit?.kind, 'crashed');
  assert.match(obs?.exit?.reason ?? '', /no-such-device/);
  // Starting it again does not run it twice: a VMI runs once.
  assert.equal((await rt.start(v)).exit?.kind, 'crashed');
});
