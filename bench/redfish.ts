// Power-on through a BMC → the guest's marker on its serial console: pxevirt's Redfish
// (`ComputerSystem.Reset` On, sent by curl to the API port) against `virsh start` under Debian's
// libvirtd (the daemon sushy-tools and virtualbmc drive), same guest, interleaved in one run.
//   - the same test disk (test/helpers/vmi-node.ts: pxevirt's containerDisk; libvirt gets a fresh
//     qcow2 overlay per boot, made before its clock starts, over a copy of pxevirt's cached file),
//     the same firmware (SeaBIOS), machine (q35), memory (128 MiB), accelerator and QEMU binary,
//     no NIC, QEMU as pxevirt-qemu on both sides;
//   - libvirtd walled off by bench/libvirt-isolated.ts (its own netns and mount namespace);
//   - each round runs both, the order alternating, and records the 1-minute load average;
//   - timed from the client's spawn: → the client exits, → a QEMU process exists, → the first
//     serial byte (SeaBIOS on COM1: the guest runs), → the marker (logs polled every 50 ms).
//   node --import tsx bench/redfish.ts [ROUNDS]   prints the JSON result (default 5 rounds)
import { execFile, spawn } from 'node:child_process';
import { chmod, chown, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { cleanSerial, diskVmiSpec, qemusWith, startVmiNode, until, type VmiNode } from '../test/helpers/vmi-node.ts';
import { stepMedians } from './vmi.ts';
import { startIsolatedLibvirt, VIRSH, type IsolatedLibvirt } from './libvirt-isolated.ts';
import { serconPortBytes } from '../src/runtime/qemu-args.ts';
import { domainXml, guestFiles, median, p50Of, qemuArgvOf, QEMU_USER, type BootRun, type RedfishBenchResult } from './redfish-guest.ts';

const run = promisify(execFile);
const BIN = join(resolve(fileURLToPath(import.meta.url), '../..'), 'bin/pxevirt');
const VM = 'bmc-bench';
const DOMAIN = 'pxevirt-bench-guest';
const MEMORY_MIB = 128;

type Scope = { after(fn: () => unknown): void };
type Log = (line: string) => void;

/** Polls every 50 ms; resolves with performance.now() when `probe` says yes. */
async function when(what: string, probe: () => Promise<boolean>, stop?: AbortSignal, timeoutMs = 600_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (stop?.aborted) throw new Error(`bench redfish: stopped waiting for ${what}: the client failed`);
    if (await probe()) return performance.now();
    if (performance.now() > deadline) throw new Error(`bench redfish: waited ${timeoutMs} ms for ${what}`);
    await sleep(50);
  }
}

/** Spawns a client command; resolves with performance.now() at its exit; rejects on a non-zero exit. */
function client(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolvePromise(performance.now()) : reject(new Error(`${cmd} ${args.slice(-2).join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

/** One timed boot: `start` spawns the client; the probes say when QEMU exists, the serial log has a byte, the marker is out. */
async function timedBoot(start: () => Promise<number>, qemuUp: () => Promise<boolean>, serial: () => Promise<string>, marker: string): Promise<BootRun> {
  const load = loadavg()[0]!;
  const t0 = performance.now();
  // All settle (a failed client must not leave a rejection unhandled while the marker is awaited).
  const failed = new AbortController();
  const commandAt = start().catch((err: unknown) => {
    failed.abort(err);
    throw err;
  });
  const settled = await Promise.allSettled([
    commandAt,
    when('a QEMU process', qemuUp, failed.signal),
    when('the first serial byte', async () => (await serial()).length > 0, failed.signal),
    when('the marker', async () => (await serial()).includes(marker), failed.signal),
  ]);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  const [command, qemu, firstByte, mark] = settled.map((r) => (r.status === 'fulfilled' ? r.value - t0 : 0)) as [number, number, number, number];
  return { commandMs: command, qemuMs: qemu, firstByteMs: firstByte, markerMs: mark, load, first: false };
}

interface Side {
  name: 'pxevirt' | 'libvirt';
  boot(): Promise<BootRun>;
  off(): Promise<void>;
}

async function pxevirtSide(node: VmiNode, log: Log): Promise<Side & { uids: string[]; argv: () => Promise<string[]>; backing: () => Promise<{ file: string; format: string }> }> {
  const vm = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: VM }, spec: { runStrategy: 'Halted', template: { spec: diskVmiSpec(node.image, { memory: `${MEMORY_MIB}Mi` }) } } };
  await node.kubectl(['create', '-f', '-'], JSON.stringify(vm));
  const systemId = (await node.jsonpath('vm', VM, '{.metadata.uid}')).trim();
  const config = parse(await readFile(node.daemon.kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { 'certificate-authority-data': string } }> };
  const ca = join(node.dataDir, 'bench-redfish-ca.pem');
  await writeFile(ca, Buffer.from(config.clusters[0]!.cluster['certificate-authority-data'], 'base64'));
  const url = `https://127.0.0.1:${node.daemon.port}/redfish/v1/Systems/${systemId}/Actions/ComputerSystem.Reset`;
  const reset = (type: string) => client('curl', ['-sS', '--fail-with-body', '--cacert', ca, '-u', `admin:${node.daemon.token}`, '-H', 'Content-Type: application/json', '-d', JSON.stringify({ ResetType: type }), url]);
  const vmiUid = async () => {
    const r = await node.daemon.http('GET', `/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/${VM}`);
    return r.status === 200 ? String((r.json().metadata as { uid: string }).uid) : undefined;
  };
  let uid: string | undefined;
  const uids: string[] = [];
  const serial = async () => {
    if (uid === undefined) {
      uid = await vmiUid();
      if (uid !== undefined) uids.push(uid);
    }
    return uid === undefined ? '' : node.serial(uid);
  };
  log(`bench redfish: pxevirt system ${systemId}, reset by curl at ${url}`);
  return {
    name: 'pxevirt',
    uids,
    boot: async () => {
      uid = undefined;
      return timedBoot(() => reset('On'), async () => (await qemusWith(node.dataDir)).length > 0, serial, node.disk.marker);
    },
    off: async () => {
      await reset('ForceOff');
      await until('pxevirt\'s guest off', async () => (await qemusWith(node.dataDir)).length === 0 && (await vmiUid()) === undefined, 120_000);
    },
    argv: async () => qemuArgvOf((await qemusWith(node.dataDir))[0]),
    backing: async () => {
      uid ??= await vmiUid();
      const overlay = (await qemuArgvOf((await qemusWith(node.dataDir))[0])).join(' ').match(/[^\s,"=]+\.qcow2/)?.[0];
      if (!overlay) throw new Error('bench redfish: no qcow2 overlay in pxevirt\'s QEMU command line');
      const info = JSON.parse((await run('qemu-img', ['info', '-U', '--output=json', overlay])).stdout) as { 'full-backing-filename'?: string; 'backing-filename-format'?: string };
      if (!info['full-backing-filename']) throw new Error(`bench redfish: ${overlay} has no backing file`);
      return { file: info['full-backing-filename'], format: info['backing-filename-format'] ?? 'raw' };
    },
  };
}

async function libvirtSide(lv: IsolatedLibvirt, backing: { file: string; format: string }, marker: string): Promise<Side> {
  const files = guestFiles(lv.dir);
  await mkdir(files.dir, { recursive: true });
  const { uid, gid } = await idsOf(QEMU_USER);
  await chown(files.dir, uid, gid);
  // The same bytes as pxevirt's cached disk: libvirt checks the backing file as the QEMU user,
  // and pxevirt's data dir is root's alone (its QEMU opens the disk before -runas drops).
  const base = join(files.dir, `base.${backing.format}`);
  await copyFile(backing.file, base);
  await chmod(base, 0o444);
  const xmlPath = join(lv.dir, 'domain.xml');
  await writeFile(xmlPath, domainXml({ name: DOMAIN, memoryMiB: MEMORY_MIB, disk: files.disk, serialLog: files.serialLog, vncSocket: files.vncSocket, serconPort: files.serconPort }));
  await lv.virsh(['define', xmlPath]);
  const serial = async () => cleanSerial(await readFile(files.serialLog, 'utf8').catch(() => ''));
  await writeFile(files.serconPort, serconPortBytes(), { mode: 0o644 });
  return {
    name: 'libvirt',
    boot: async () => {
      // A fresh overlay, as pxevirt makes one per boot of a containerDisk (here before the clock).
      await rm(files.serialLog, { force: true });
      await rm(files.disk, { force: true });
      await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', backing.format, files.disk]);
      await chown(files.disk, uid, gid);
      return timedBoot(() => client(VIRSH, ['-q', '-c', lv.uri, 'start', DOMAIN]), async () => (await qemusWith(lv.dir)).length > 0, serial, marker);
    },
    off: async () => {
      await lv.virsh(['destroy', DOMAIN]);
      await until('libvirt\'s guest off', async () => (await qemusWith(lv.dir)).length === 0, 60_000);
    },
  };
}

async function idsOf(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Runs the bench (see the file comment); everything it started is gone when `scope`'s cleanups have run. */
export async function benchRedfish(scope: Scope, options: { rounds?: number; log?: Log } = {}): Promise<RedfishBenchResult> {
  const rounds = options.rounds ?? 5;
  const log = options.log ?? (() => undefined);
  const node = await startVmiNode(scope, { name: 'bench-bmc' });
  log(`bench redfish: daemon up (data dir ${node.dataDir}); pulling ${node.image} into its cache`);
  await run(BIN, ['pull', node.image, '--data-dir', node.dataDir, '--config', node.configPath, '--progress', 'none']);
  const px = await pxevirtSide(node, log);
  const lv = await startIsolatedLibvirt(scope, { qemuUser: QEMU_USER, log });
  const version = (await lv.virsh(['version'])).match(/hypervisor:?\s*([^\n]+)/i)?.[0] ?? '';
  const libvirtVersion = `${(await run(VIRSH, ['--version'])).stdout.trim()} (${version.trim()})`;

  // Warm-up, untimed: pxevirt's first boot (and its command line, its disk's backing file),
  // libvirt's first boot (its QEMU capabilities probe and caches).
  log('bench redfish: warm-up boots');
  const warm = await px.boot();
  const argvPx = await px.argv();
  const backing = await px.backing();
  await px.off();
  const lvSide = await libvirtSide(lv, backing, node.disk.marker);
  const warmLv = await lvSide.boot();
  const argvLv = await qemuArgvOf((await qemusWith(lv.dir))[0]);
  await lvSide.off();
  log(`bench redfish: warm-up marker after ${warm.markerMs.toFixed(0)} ms (pxevirt), ${warmLv.markerMs.toFixed(0)} ms (libvirt)`);

  const runs: Record<'pxevirt' | 'libvirt', BootRun[]> = { pxevirt: [], libvirt: [] };
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [px, lvSide] : [lvSide, px];
    for (const [j, side] of order.entries()) {
      const r = await side.boot();
      r.first = j === 0;
      runs[side.name].push(r);
      log(`bench redfish: round ${i + 1} ${side.name}: command ${r.commandMs.toFixed(0)} ms, QEMU ${r.qemuMs.toFixed(0)} ms, first serial byte ${r.firstByteMs.toFixed(0)} ms, marker ${r.markerMs.toFixed(0)} ms (load ${r.load.toFixed(2)})`);
      await side.off();
    }
  }
  const loads = [...runs.pxevirt, ...runs.libvirt].map((r) => r.load);
  const result: RedfishBenchResult = {
    name: 'redfish',
    rounds,
    guest: `the test disk (SeaBIOS, q35, ${MEMORY_MIB} MiB, no NIC, TCG), QEMU as ${QEMU_USER} on both sides`,
    pxevirt: { runs: runs.pxevirt, p50: p50Of(runs.pxevirt) },
    libvirt: { version: libvirtVersion, runs: runs.libvirt, p50: p50Of(runs.libvirt) },
    ratio: Math.round((median(runs.pxevirt.map((r) => r.markerMs)) / median(runs.libvirt.map((r) => r.markerMs))) * 100) / 100,
    firstByteRatio: Math.round((median(runs.pxevirt.map((r) => r.firstByteMs)) / median(runs.libvirt.map((r) => r.firstByteMs))) * 100) / 100,
    load: { min: Math.min(...loads), max: Math.max(...loads) },
    argv: { pxevirt: argvPx, libvirt: argvLv },
    pxevirtStartSteps: stepMedians(node.daemon.log(), new Set(px.uids.slice(1))),
  };
  return result;
}

export { renderRedfish, type RedfishBenchResult } from './redfish-guest.ts';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cleanups: Array<() => unknown> = [];
  const scope = { after: (fn: () => unknown) => void cleanups.push(fn) };
  const closeAll = async () => {
    for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void closeAll().then(() => process.exit(130)));
  try {
    const rounds = process.argv[2] ? Number(process.argv[2]) : undefined;
    const result = await benchRedfish(scope, { ...(rounds ? { rounds } : {}), log: (line) => process.stderr.write(`${line}\n`) });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await closeAll();
  }
}
