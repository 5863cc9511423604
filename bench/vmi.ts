// VMIs end to end: `pxevirt up` with its controllers (test/helpers/vmi-node.ts: a local
// registry behind a docker.io mirror set in the config file), the test disk pulled into the
// node's cache first with `pxevirt pull`, then COUNT VMIs (128Mi, no network, containerDisk),
// created over HTTPS one after the other, twice:
//   - alone: each deleted (grace 0) before the next — the peer's conditions;
//   - kept running: 0 … COUNT−1 guests beside each new one; then, all booted (marker on each
//     console), the daemon's RSS per running VMI and each guest's QEMU RSS.
// Timed: POST sent → status.phase Running seen (polled every 50 ms), and → serial.log non-empty.
// The peer, in the same run: the very QEMU command line pxevirt used for a warm-up VMI, started
// by hand (no daemon, no netns) on a fresh overlay over the same cached disk, COUNT times:
// spawn → QMP says running, spawn → first serial byte; its RSS once booted (first 3 runs); its
// runs interleaved with the alone VMIs. The load average before and after is in the result.
// Everything is removed at the end (also on SIGINT/SIGTERM).
//   node --import tsx bench/vmi.ts [COUNT [PEER_RUNS]]   prints the JSON result (defaults 20, 5)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { QmpClient } from '../src/runtime/qmp.ts';
import { diskVmiSpec, qemusWith, startVmiNode, until, type VmiNode } from '../test/helpers/vmi-node.ts';

const run = promisify(execFile);
const BIN = join(resolve(fileURLToPath(import.meta.url), '../..'), 'bin/pxevirt');
const VMIS = '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances';

export interface Quantiles {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface VmiBenchResult {
  name: 'vmi';
  vmis: number;
  memory: string;
  peerRuns: number;
  /** /proc/loadavg's 1, 5 and 15 minute figures when the bench began and when it ended. */
  loadavg: { start: number[]; end: number[] };
  pxevirt: {
    /** Each VMI alone (deleted before the next is created), as the peer runs. */
    createToRunning: Quantiles;
    createToFirstSerialByte: Quantiles;
    /** p50 ms of each step inside the runtime's start (pod, accel, volumes, network, files, qemu). */
    startSteps: Record<string, number>;
    /** p50 ms: POST → 'starting guest', → 'QEMU started', → Running seen (phaseMedians). */
    startPhases: Record<string, number>;
    /** The same while the earlier VMIs of the run keep running (0 … COUNT−1 guests beside it). */
    withOthersRunning: { createToRunning: Quantiles; createToFirstSerialByte: Quantiles };
    /** (daemon VmRSS with every VMI running − before the first) / VMIs. */
    daemonRssPerVmiBytes: number;
    daemonIdleRssBytes: number;
    daemonLoadedRssBytes: number;
    /** Median VmRSS of the guests' QEMU processes once booted. */
    qemuRssBytes: number;
    /** Of the kept-running guests: booted to the marker, or kernel panic (TCG timer check under load). */
    guestsBooted: number;
    guestsPanicked: number;
  };
  peer: {
    what: string;
    spawnToQmpRunning: Quantiles;
    spawnToFirstSerialByte: Quantiles;
    qemuRssBytes: number;
  };
  /** pxevirt / peer (for time and QEMU memory, lower is better; 1 = the same). */
  ratios: {
    createToRunningP50: number;
    firstSerialByteP50: number;
    qemuRss: number;
    /** Daemon memory per VMI as a share of one guest's QEMU. */
    daemonPerVmiOverQemu: number;
  };
}

/** Peer runs that boot to the marker for the RSS figure (the rest stop at the first serial byte). */
const PEER_BOOTS = 3;
const round = (n: number) => Math.round(n * 1000) / 1000;
function quantiles(samples: number[]): Quantiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(sorted.at(-1) ?? 0) };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function rssOf(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(s);
    if (!m) throw new Error(`no VmRSS line in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  });
}

const loadavg = (): number[] => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
const nonEmpty = (path: string) => stat(path).then((s) => s.size > 0, () => false);

/** Set by a signal: every wait stops, so the bench's cleanup runs. */
let interrupted: AbortSignal | undefined;

/** Polls `probe` every `everyMs` until true; resolves with the time it became true (performance.now()). */
async function whenTrue(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 25): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (interrupted?.aborted) throw new Error(`bench: interrupted while waiting for ${what}`);
    if (await probe()) return performance.now();
    if (performance.now() > deadline) throw new Error(`bench: waited ${timeoutMs} ms for ${what}`);
    await sleep(everyMs);
  }
}

async function phaseOf(node: VmiNode, name: string): Promise<string | undefined> {
  const r = await node.daemon.http('GET', `${VMIS}/${name}`);
  return r.status === 200 ? ((r.json().status as { phase?: string } | undefined)?.phase) : undefined;
}

/**
 * Where a create → Running goes around the runtime's start, p50 over these VMIs: POST sent →
 * the controller's 'starting guest', that → the runtime's 'QEMU started', that → Running seen
 * by the bench (the status write, its sync, the GET). From the daemon's log times (wall clock,
 * ms) and the bench's wall clock at POST and at Running.
 */
export function phaseMedians(daemonLog: string, runs: ReadonlyArray<{ uid: string; postAt: number; runningAt: number }>): Record<string, number> {
  const at = new Map<string, number>();
  for (const line of daemonLog.split('\n')) {
    const msg = line.includes('"starting guest"') ? 'starting' : line.includes('"QEMU started"') ? 'started' : undefined;
    if (!msg) continue;
    try {
      const entry = JSON.parse(line) as { uid?: string; time?: string };
      if (entry.uid && entry.time && !at.has(`${msg} ${entry.uid}`)) at.set(`${msg} ${entry.uid}`, Date.parse(entry.time));
    } catch {
      // not a JSON log line
    }
  }
  const phases = { postToStartingGuest: [] as number[], startingGuestToQemuStarted: [] as number[], qemuStartedToRunningSeen: [] as number[] };
  for (const r of runs) {
    const starting = at.get(`starting ${r.uid}`);
    const started = at.get(`started ${r.uid}`);
    if (starting === undefined || started === undefined) continue;
    phases.postToStartingGuest.push(starting - r.postAt);
    phases.startingGuestToQemuStarted.push(started - starting);
    phases.qemuStartedToRunningSeen.push(r.runningAt - started);
  }
  return Object.fromEntries(Object.entries(phases).map(([k, xs]) => [k, round(median(xs))]));
}

/** p50 of each step of the runtime's guest start ('QEMU started' log lines, src/runtime/local-runtime.ts) for these VMIs. */
export function stepMedians(daemonLog: string, uids: Set<string>): Record<string, number> {
  const byStep = new Map<string, number[]>();
  for (const line of daemonLog.split('\n')) {
    if (!line.includes('"QEMU started"')) continue;
    try {
      const entry = JSON.parse(line) as { uid?: string; ms?: Record<string, number> };
      if (!entry.uid || !uids.has(entry.uid)) continue;
      for (const [step, ms] of Object.entries(entry.ms ?? {})) byStep.set(step, [...(byStep.get(step) ?? []), ms]);
    } catch {
      // not a JSON log line
    }
  }
  return Object.fromEntries([...byStep].map(([step, xs]) => [step, round(median(xs))]));
}

/** One run of the peer: the recorded QEMU argv with `runDir` moved to a fresh dir; with `bootMarker`, its RSS once booted. */
async function peerRun(argv: string[], runDir: string, work: string, i: number, bootMarker?: string): Promise<{ qmpMs: number; serialMs: number; rss?: number }> {
  const dir = join(work, `peer-${i}`);
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(runDir, { withFileTypes: true })) {
    if (!f.isFile()) continue;
    const from = join(runDir, f.name);
    if (f.name.endsWith('.qcow2')) {
      // A fresh overlay over the same backing file (the guest's writes are not shared).
      const info = JSON.parse((await run('qemu-img', ['info', '-U', '--output=json', from])).stdout) as { 'full-backing-filename'?: string; 'backing-filename-format'?: string };
      const backing = info['full-backing-filename'];
      if (backing) await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', info['backing-filename-format'] ?? 'raw', join(dir, f.name)]);
      else await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, f.name), String((await stat(from)).size)]);
    } else if (!/\.(log|pid|json|status)$|^qemu\.|pidfile/.test(f.name)) {
      await copyFile(from, join(dir, f.name));
    }
  }
  const args = argv.slice(1).map((a) => a.split(runDir).join(dir));
  const serialLog = join(dir, 'serial.log');
  const qmp = args.find((a) => a.startsWith('unix:') && a.includes('qmp'))?.slice('unix:'.length).split(',')[0];
  if (!qmp) throw new Error(`bench: no -qmp unix: socket in the recorded argv: ${args.join(' ')}`);
  const t0 = performance.now();
  const child: ChildProcess = spawn(argv[0]!, args, { detached: true, stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    let qmpAt = 0;
    const qmpDone = (async () => {
      for (;;) {
        if (exited) throw new Error('bench: the peer QEMU exited');
        const client = await QmpClient.connect(qmp, { timeoutMs: 2000 }).catch(() => undefined);
        if (client) {
          try {
            const st = (await client.execute('query-status')) as { status?: string };
            if (st.status === 'running') return (qmpAt = performance.now());
          } finally {
            client.close();
          }
        }
        await sleep(10);
      }
    })();
    const serialAt = await whenTrue('the peer\'s first serial byte', () => nonEmpty(serialLog), 120_000);
    await qmpDone;
    if (bootMarker === undefined) return { qmpMs: qmpAt - t0, serialMs: serialAt - t0 };
    await whenTrue('the peer\'s marker', async () => (await readFile(serialLog, 'utf8').catch(() => '')).includes(bootMarker), 300_000, 250);
    return { qmpMs: qmpAt - t0, serialMs: serialAt - t0, rss: await rssOf(child.pid!) };
  } finally {
    if (!exited && child.pid) process.kill(-child.pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

export interface VmiBenchOptions {
  vmis?: number;
  peerRuns?: number;
  memory?: string;
  log?: (line: string) => void;
  /** Aborting it stops the bench at its next wait; it still removes everything. */
  signal?: AbortSignal;
}

/** Runs the bench (see the file comment); everything it started is gone when it resolves. */
export async function benchVmi(options: VmiBenchOptions = {}): Promise<VmiBenchResult> {
  const count = options.vmis ?? 20;
  const peerRuns = options.peerRuns ?? count;
  // 64Mi is too little for the test guest: its Debian kernel does not fit beside the initrd
  // there (SYSLINUX: "Booting kernel failed: Invalid argument").
  const memory = options.memory ?? '128Mi';
  interrupted = options.signal;
  const log = options.log ?? (() => undefined);
  const cleanups: Array<() => unknown> = [];
  const scope = { after: (fn: () => unknown) => void cleanups.push(fn) };
  const loadStart = loadavg();
  const work = await mkdtemp(join(tmpdir(), 'pxevirt-bench-vmi-'));
  try {
    const node = await startVmiNode(scope, { name: 'bench-disk' });
    log(`bench vmi: daemon up (data dir ${node.dataDir}); pulling ${node.image} into its cache with pxevirt pull`);
    await run(BIN, ['pull', node.image, '--data-dir', node.dataDir, '--config', node.configPath, '--progress', 'none']);
    const spec = diskVmiSpec(node.image, { memory });
    // The image is pulled above; a `:latest` tag defaults to imagePullPolicy Always (as KubeVirt
    // does), which asks the registry for the manifest at every start, as kubelet would. The peer
    // starts from a local file, so the bench pins the policy a user wanting fast starts would.
    for (const v of spec.volumes as { containerDisk?: Record<string, unknown> }[]) if (v.containerDisk) v.containerDisk.imagePullPolicy = 'IfNotPresent';
    const runDir = (uid: string) => join(node.dataDir, 'run', 'vmi', uid);

    // Warm-up VMI: its QEMU argv is the peer's command line.
    const warmUid = await node.createVmi('warmup', spec);
    await whenTrue('the warm-up guest\'s marker', async () => (await node.serial(warmUid)).includes(node.disk.marker), 300_000, 500);
    const [warmPid] = await qemusWith(warmUid);
    if (warmPid === undefined) throw new Error('bench: no QEMU for the warm-up VMI');
    const argv = (await readFile(`/proc/${warmPid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
    const template = join(work, 'template');
    await mkdir(template);
    for (const f of await readdir(runDir(warmUid), { withFileTypes: true })) if (f.isFile()) await copyFile(join(runDir(warmUid), f.name), join(template, f.name));
    await node.kubectl(['delete', 'vmi', 'warmup', '--grace-period=0', '--force', '--timeout=60s']);
    await until('the warm-up QEMU gone', async () => (await qemusWith(warmUid)).length === 0, 60_000);
    const templateArgv = argv.map((a) => a.split(runDir(warmUid)).join(template));


    // One VMI: POST → Running and → first serial byte, measured together.
    const createOne = async (name: string): Promise<{ uid: string; runningMs: number; serialMs: number; postAt: number; runningAt: number }> => {
      const body = JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name }, spec });
      const t0 = performance.now();
      const postAt = performance.timeOrigin + t0;
      const created = await node.daemon.http('POST', VMIS, { body, contentType: 'application/json' });
      if (created.status !== 201) throw new Error(`bench: POST ${name}: expected 201, found ${created.status}: ${created.body.slice(0, 300)}`);
      const uid = String((created.json().metadata as { uid: string }).uid);
      const [runningAt, serialAt] = await Promise.all([
        // Polled every 10 ms, as the peer polls QMP.
        whenTrue(`${name} Running`, async () => (await phaseOf(node, name)) === 'Running', 180_000, 10),
        whenTrue(`${name}'s first serial byte`, () => nonEmpty(join(runDir(uid), 'serial.log')), 180_000),
      ]);
      log(`bench vmi: ${name} Running after ${(runningAt - t0).toFixed(0)} ms, first serial byte after ${(serialAt - t0).toFixed(0)} ms`);
      return { uid, runningMs: runningAt - t0, serialMs: serialAt - t0, postAt, runningAt: performance.timeOrigin + runningAt };
    };

    // Alone, as the peer runs: each VMI deleted (grace 0) and its QEMU gone before the next.
    // Interleaved with the peer's runs (peer, VMI, peer, VMI…): on a shared machine whose load
    // drifts by minutes, two blocks one after the other compared two different machines.
    log(`bench vmi: ${count} VMIs (${memory}) one at a time, each deleted before the next, interleaved with ${peerRuns} runs of the peer — the same QEMU command line by hand (the first ${PEER_BOOTS} booted for their RSS)`);
    const peer: Array<{ qmpMs: number; serialMs: number; rss?: number }> = [];
    const alone: Array<{ uid: string; runningMs: number; serialMs: number; postAt: number; runningAt: number }> = [];
    const aloneUids: string[] = [];
    for (let i = 0; i < Math.max(count, peerRuns); i++) {
      if (i < peerRuns) peer.push(await peerRun(templateArgv, template, work, i, i < PEER_BOOTS ? node.disk.marker : undefined));
      if (i >= count) continue;
      const r = await createOne(`alone-${i}`);
      alone.push(r);
      aloneUids.push(r.uid);
      await node.kubectl(['delete', 'vmi', `alone-${i}`, '--grace-period=0', '--force', '--timeout=60s']);
      await until(`alone-${i}'s QEMU gone`, async () => (await qemusWith(r.uid)).length === 0, 60_000);
    }
    const startSteps = stepMedians(node.daemon.log(), new Set(aloneUids));
    log(`bench vmi: the runtime's start steps (p50 ms): ${JSON.stringify(startSteps)}`);
    const startPhases = phaseMedians(node.daemon.log(), alone);
    log(`bench vmi: around the runtime's start (p50 ms): ${JSON.stringify(startPhases)}`);

    const daemonPid = node.daemon.child.pid!;
    await sleep(2000);
    const daemonIdleRssBytes = await rssOf(daemonPid);
    log(`bench vmi: ${count} VMIs (${memory}), one after the other, all kept running`);
    const loaded: Array<{ runningMs: number; serialMs: number }> = [];
    const uids: string[] = [];
    for (let i = 0; i < count; i++) {
      const r = await createOne(`bench-${i}`);
      loaded.push(r);
      uids.push(r.uid);
    }
    // Under heavy load a TCG guest's kernel may panic on its timer check ("IO-APIC + timer
    // doesn't work"): such guests are counted, not waited for, and left out of the QEMU RSS.
    const outcome = new Map<string, 'booted' | 'panicked'>();
    await whenTrue('every guest booted or panicked', async () => {
      for (const uid of uids) {
        if (outcome.has(uid)) continue;
        const text = await node.serial(uid);
        if (text.includes(node.disk.marker)) outcome.set(uid, 'booted');
        else if (text.includes('Kernel panic')) outcome.set(uid, 'panicked');
      }
      return outcome.size === uids.length;
    }, 900_000, 1000);
    const booted = uids.filter((u) => outcome.get(u) === 'booted');
    if (booted.length === 0) throw new Error('bench: no guest booted');
    const qemuRss: number[] = [];
    for (const uid of booted) {
      const pids = await qemusWith(uid);
      if (pids.length !== 1) throw new Error(`bench: expected one QEMU for ${uid}, found ${pids.length}`);
      qemuRss.push(await rssOf(pids[0]!));
    }
    await sleep(2000);
    const daemonLoadedRssBytes = await rssOf(daemonPid);

    log('bench vmi: deleting every VMI');
    await node.kubectl(['delete', 'vmi', '--all', '--grace-period=0', '--force', '--timeout=120s']);
    await until('every QEMU of the bench gone', async () => (await qemusWith(node.dataDir)).length === 0, 120_000);

    const daemonRssPerVmiBytes = Math.round((daemonLoadedRssBytes - daemonIdleRssBytes) / count);
    const pxevirt = {
      createToRunning: quantiles(alone.map((r) => r.runningMs)),
      createToFirstSerialByte: quantiles(alone.map((r) => r.serialMs)),
      startSteps,
      startPhases,
      withOthersRunning: {
        createToRunning: quantiles(loaded.map((r) => r.runningMs)),
        createToFirstSerialByte: quantiles(loaded.map((r) => r.serialMs)),
      },
      daemonRssPerVmiBytes,
      daemonIdleRssBytes,
      daemonLoadedRssBytes,
      qemuRssBytes: median(qemuRss),
      guestsBooted: booted.length,
      guestsPanicked: uids.length - booted.length,
    };
    const peerFigures = {
      what: 'the same qemu-system-x86_64 command line started by hand (no daemon, no netns), fresh overlay over the same cached disk',
      spawnToQmpRunning: quantiles(peer.map((p) => p.qmpMs)),
      spawnToFirstSerialByte: quantiles(peer.map((p) => p.serialMs)),
      qemuRssBytes: median(peer.flatMap((p) => (p.rss === undefined ? [] : [p.rss]))),
    };
    return {
      name: 'vmi',
      vmis: count,
      memory,
      peerRuns,
      loadavg: { start: loadStart, end: loadavg() },
      pxevirt,
      peer: peerFigures,
      ratios: {
        createToRunningP50: round(pxevirt.createToRunning.p50Ms / peerFigures.spawnToQmpRunning.p50Ms),
        firstSerialByteP50: round(pxevirt.createToFirstSerialByte.p50Ms / peerFigures.spawnToFirstSerialByte.p50Ms),
        qemuRss: round(pxevirt.qemuRssBytes / peerFigures.qemuRssBytes),
        daemonPerVmiOverQemu: round(daemonRssPerVmiBytes / pxevirt.qemuRssBytes),
      },
    };
  } finally {
    for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const vmis = process.argv[2] ? Number(process.argv[2]) : undefined;
  const peerRuns = process.argv[3] ? Number(process.argv[3]) : undefined;
  const aborter = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => aborter.abort());
  const result = await benchVmi({ ...(vmis ? { vmis } : {}), ...(peerRuns ? { peerRuns } : {}), signal: aborter.signal, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
