// The VmiRuntime on this host: a pod (netns + run dir) per VMI, volumes prepared by the
// injected VolumePreparer, QEMU started detached and supervised (qemu-process.ts over detached-process.ts). guest.json
// in the run dir keeps what an observation needs, so a restarted daemon can adopt guests.
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { chmodSync, chownSync, closeSync, constants as fsConstants, copyFileSync, existsSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger.ts';
import { createAccelProbe, type AccelProbeResult } from './accel.ts';
import { readGuestRecord, readPid, writeGuestRecord, type GuestRecord } from './guest-record.ts';
import { NetworkPlanError, planVmi, type DevicePlan } from '../resources/device-plan.ts';
import { nicsFor, type NetworkAttacher, type NetworkAttachment } from './nics.ts';
import { createPod, DEFAULT_NETNS_PREFIX, podFor, removePod, type PodNetns } from './pod.ts';
import { createSpareNetns } from './netns-spare.ts';
import { ARCH_PROFILES, hostArchitecture } from './qemu-arch.ts';
import { bootRestoreSteps, inQemuDir, QEMU_DIR_FD, qemuArgs, runFiles, serconPortBytes, type ResolvedDisk } from './qemu-args.ts';
import { mkdirPrivateSync, writePrivateFileSync } from '../lib/private-file.ts';
import type { RunAsUser } from './run-as.ts';
import { isProcessOf } from './detached-process.ts';
import { changeMedium, LIVE_MEDIA_FILE, mediaSteps, NoVirtualCdError, placeForQemu, virtualCdOf } from './live-media.ts';
import { QemuProcess, recordExit, type ExitRecord } from './qemu-process.ts';
import type { ConfigVolumeFiles, GuestAction, GuestObservation, PullProgress, StartOptions, VmiObject, VmiRuntime } from './types.ts';

/** Where the local storage class keeps claims: `<data-dir>/volumes`. */
export const claimsDir = (dataDir: string): string => join(dataDir, 'volumes');

export { generatedMac, type NetworkAttacher, type NetworkAttachment, type NicBackend } from './nics.ts';

/** Where a BMC's virtual CDs are downloaded to: `<data-dir>/media`. */
export const mediaRoot = (dataDir: string): string => join(dataDir, 'media');

/** Prepares a VMI's planned volumes as files in its run dir (src/runtime/volumes: prepareVolumes). */
export type VolumePreparer = (
  plan: DevicePlan,
  options: { runDir: string; cacheDir: string; mirrors?: Readonly<Record<string, string>>; onProgress?: (p: PullProgress) => void; signal?: AbortSignal; claimsDir?: string; namespace?: string; configVolumes?: ReadonlyMap<string, ConfigVolumeFiles>; mediaRoot?: string },
) => Promise<ResolvedDisk[]>;

/** Debian's OVMF (package ovmf): plain, and secure-boot capable (needs SMM) with Microsoft's keys enrolled. */
export const OVMF_FILES: OvmfFiles = {
  code: '/usr/share/OVMF/OVMF_CODE_4M.fd',
  vars: '/usr/share/OVMF/OVMF_VARS_4M.fd',
  secureCode: '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd',
  secureVars: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd',
};

/** Debian's AAVMF (package qemu-efi-aarch64): the arm64 UEFI firmware (no Secure Boot on arm64 here). */
export const AAVMF_FILES: OvmfFiles = {
  code: '/usr/share/AAVMF/AAVMF_CODE.fd',
  vars: '/usr/share/AAVMF/AAVMF_VARS.fd',
};

export interface OvmfFiles {
  code: string;
  vars: string;
  secureCode?: string;
  secureVars?: string;
}

export interface LocalRuntimeOptions {
  dataDir: string;
  log: Logger;
  volumes: VolumePreparer;
  /** Default `<dataDir>/cache/images`. */
  cacheDir?: string;
  mirrors?: Readonly<Record<string, string>>;
  /** Netns name prefix; tests use a unique one. Default `pxv-`. */
  netnsPrefix?: string;
  /**
   * The store this runtime's guests belong to (written into each guest's record). A run dir of
   * another store is never adopted, stopped or removed: it is left alone while its QEMU runs,
   * and moved under `<dataDir>/run/quarantine/` once it has ended.
   */
  storeId?: string;
  /** The amd64 QEMU (default qemu-system-x86_64 from PATH); other architectures use their profile's binary. */
  qemuBinary?: string;
  accel?: () => Promise<AccelProbeResult>;
  network?: NetworkAttacher;
  /** More QEMU arguments per VMI (tests: direct kernel boot). */
  extraArgs?: (vmi: VmiObject) => readonly string[];
  ovmf?: OvmfFiles;
  /** arm64 UEFI firmware; default AAVMF_FILES. */
  aavmf?: OvmfFiles;
  /**
   * The user QEMU drops to (`-runas`) once it has opened its files; absent: QEMU stays root.
   * It owns only the run dir's `qemu/` directory, which QEMU inherits open (QEMU_DIR_FD).
   */
  qemuUser?: RunAsUser;
}

/** Raised when a guest cannot be started; `reason` is the VMI's failure reason. */
export class GuestStartError extends Error {
  constructor(
    readonly uid: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`VMI ${uid}: ${reason}`, options);
    this.name = 'GuestStartError';
  }
}

/** The reason for a spec the plan refuses; NIC problems keep the `network:` prefix of the network step. */
const startFailure = (err: unknown): string => (err instanceof NetworkPlanError ? `network: ${err.message}` : err instanceof Error ? err.message : String(err));

/** Raised when a command needs a running guest and there is none for the uid. */
export class GuestNotRunningError extends Error {
  constructor(
    readonly uid: string,
    readonly command: string,
  ) {
    super(`VMI ${uid}: ${command} needs a running guest; there is none`);
    this.name = 'GuestNotRunningError';
  }
}

/** A pause, unpause or soft reboot the guest's state does not allow (already paused, not paused, paused). */
export class GuestStateError extends Error {
  constructor(
    readonly uid: string,
    readonly action: GuestAction,
    /** KubeVirt's words for the refusal, e.g. "VMI is already paused". */
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'GuestStateError';
  }
}

interface Guest {
  record: GuestRecord;
  proc?: QemuProcess;
  exit?: ExitRecord;
  pid: number;
  /** The last live media change, so that the next one waits for it. */
  media?: Promise<void>;
}

/** The local runtime: VmiRuntime plus what only a local QEMU offers. */
export interface LocalRuntime extends VmiRuntime {
  /** Runs a QMP command on a running guest (pause, reset, screendump …). */
  execute(uid: string, command: string, args?: Record<string, unknown>): Promise<unknown>;
  /**
   * A file QEMU may create after start (a screendump): the path the daemon reads (`host`) and
   * the one to give QEMU (`qemu`), which differ when QEMU reaches it through its inherited directory.
   */
  qemuFile(uid: string, name: string): { host: string; qemu: string };
  /**
   * Changes the BMC's virtual CD of a running guest: `file` (a media file on the node) inserted,
   * or undefined for none. Throws NoVirtualCdError when the guest has no such drive.
   */
  setMedia(uid: string, file: string | undefined): Promise<void>;
  /**
   * Stops watching every guest and closes QMP connections; guests keep running (daemon shutdown).
   * Deletes the spare network namespace.
   */
  close(): Promise<void>;
}

/** How long after a start the spare namespace is replaced (docs/benchmarks.md, create → Running). */
const SPARE_AFTER_START_MS = 1000;

/** Creates the runtime; call adopt() once before starting anything. */
export function createLocalRuntime(options: LocalRuntimeOptions): LocalRuntime {
  const log = options.log;
  const guests = new Map<string, Guest>();
  const listeners = new Set<(obs: GuestObservation) => void>();
  const starting = new Map<string, Promise<GuestObservation>>();
  const accel = options.accel ?? createAccelProbe(options.qemuBinary ? { qemuBinary: options.qemuBinary } : {});
  const pod = (uid: string) => podFor(uid, { dataDir: options.dataDir, ...(options.netnsPrefix ? { netnsPrefix: options.netnsPrefix } : {}) });
  // Made after the first start (a daemon that starts no guest keeps none).
  const spare = createSpareNetns({ prefix: options.netnsPrefix ?? DEFAULT_NETNS_PREFIX, log });

  const observation = (g: Guest): GuestObservation => {
    const exit = g.proc?.exit ?? g.exit;
    const state = exit ? 'exited' : (g.proc?.state ?? 'starting');
    return {
      ...g.record,
      pid: g.pid,
      state,
      ...(g.proc?.paused && !exit ? { paused: true } : {}),
      ...(exit ? { exit: { kind: exit.kind, reason: exit.reason, ...(exit.code !== undefined ? { code: exit.code } : {}), ...(exit.signal !== undefined ? { signal: exit.signal } : {}) } } : {}),
    };
  };
  const emit = (g: Guest) => {
    const obs = observation(g);
    for (const l of listeners) {
      try {
        l(obs);
      } catch (err) {
        log.error({ uid: obs.uid, err: String(err) }, 'runtime listener failed');
      }
    }
  };
  const watch = (g: Guest, proc: QemuProcess) => {
    g.proc = proc;
    g.pid = proc.pid;
    proc.onChange(() => emit(g));
  };

  const adopting = new Map<string, Promise<Guest | undefined>>();
  /** Adopts the guest of one run dir (running or exited) when it has one; once per uid at a time. */
  function adoptOne(uid: string): Promise<Guest | undefined> {
    const known = guests.get(uid);
    if (known) return Promise.resolve(known);
    let pending = adopting.get(uid);
    if (!pending) {
      pending = adoptFromRunDir(uid).finally(() => adopting.delete(uid));
      adopting.set(uid, pending);
    }
    return pending;
  }

  async function adoptFromRunDir(uid: string): Promise<Guest | undefined> {
    const { runDir } = pod(uid);
    const record = await readGuestRecord(runDir);
    if (!record) return undefined;
    // A record without a store (written before stores were recorded) is adopted: its VMI may
    // well be in this store. The controller never removes such a guest as an orphan.
    if (options.storeId !== undefined && record.storeId !== undefined && record.storeId !== options.storeId) {
      await quarantine(uid, runDir, record.storeId);
      return undefined;
    }
    const result = await QemuProcess.adopt(runDir, log);
    if (result === undefined) return undefined;
    const g: Guest = { record, pid: result instanceof QemuProcess ? result.pid : await readPid(runDir) };
    if (result instanceof QemuProcess) watch(g, result);
    else g.exit = result;
    guests.set(uid, g);
    log.info({ uid, state: observation(g).state }, 'adopted guest');
    return g;
  }

  /** Leaves another store's guest alone; moves its run dir aside once nothing runs from it. */
  async function quarantine(uid: string, runDir: string, owner: string | undefined): Promise<void> {
    const pid = await readPid(runDir);
    if (pid > 0 && isProcessOf(pid, runDir)) {
      log.warn({ uid, runDir, pid, owner: owner ?? 'unknown' }, 'a guest of another store is running here: left alone (not adopted, not stopped)');
      return;
    }
    const to = join(options.dataDir, 'run', 'quarantine', 'vmi', uid);
    await mkdir(dirname(to), { recursive: true, mode: 0o700 });
    await rename(runDir, to).catch((err: unknown) => log.warn({ uid, runDir, err: String(err) }, 'cannot move another store\'s run dir aside'));
    log.warn({ uid, from: runDir, to, owner: owner ?? 'unknown' }, 'the run dir of another store\'s guest was moved aside (nothing deleted)');
  }

  async function doStart(vmi: VmiObject, startOptions: StartOptions): Promise<GuestObservation> {
    // A spare namespace is bound under the pod's name while QEMU starts: however the start
    // ends, the pod's namespace has its name by then, so a cleanup finds it and never races;
    // then the descriptor that held it meanwhile is closed (every process given it is in).
    const pending: { netns?: PodNetns } = {};
    try {
      return await startGuest(vmi, startOptions, pending);
    } finally {
      await pending.netns?.bind().catch(() => undefined);
      pending.netns?.release();
    }
  }

  async function startGuest(vmi: VmiObject, startOptions: StartOptions, pending: { netns?: PodNetns }): Promise<GuestObservation> {
    const uid = vmi.metadata.uid;
    const p = pod(uid);
    // A guest this run dir already had (a previous daemon's) is adopted, never started twice:
    // a VMI runs at most once (a VM restart makes a new VMI).
    const known = await adoptOne(uid);
    if (known) return observation(known);
    // The spec is read here, once, into the device plan; everything below takes the plan.
    let plan: DevicePlan;
    try {
      plan = planVmi(vmi);
    } catch (err) {
      throw new GuestStartError(uid, startFailure(err), { cause: err });
    }
    const took = stepTimes();
    const files = runFiles(p.runDir);
    const volumeOptions: Parameters<VolumePreparer>[1] = { runDir: p.runDir, cacheDir: options.cacheDir ?? join(options.dataDir, 'cache', 'images'), claimsDir: claimsDir(options.dataDir), mediaRoot: mediaRoot(options.dataDir), namespace: plan.namespace };
    if (options.mirrors) volumeOptions.mirrors = options.mirrors;
    if (startOptions.onProgress) volumeOptions.onProgress = startOptions.onProgress;
    if (startOptions.signal) volumeOptions.signal = startOptions.signal;
    if (startOptions.configVolumes) volumeOptions.configVolumes = startOptions.configVolumes;
    // The pod's namespace and the volumes (overlays, ISOs: qemu-img) are independent: made at
    // once, each a process or two, so a start waits for the slower of them, not their sum.
    mkdirPrivateSync(p.runDir);
    const [podMade, probed, prepared] = await Promise.allSettled([took.part('pod', () => createPod(p, spare)), accel(), took.part('volumes', () => options.volumes(plan, volumeOptions))]);
    if (podMade.status === 'rejected') throw podMade.reason;
    const podNetns = podMade.value;
    pending.netns = podNetns;
    const podBound = () => podNetns.bind().catch((err: unknown) => Promise.reject(new GuestStartError(uid, (err as Error).message, { cause: err })));
    if (probed.status === 'rejected') throw probed.reason;
    if (prepared.status === 'rejected') throw new GuestStartError(uid, `preparing volumes: ${(prepared.reason as Error).message}`, { cause: prepared.reason });
    // KVM runs only the host's own architecture: any other is software-emulated.
    const probe: AccelProbeResult = plan.arch === hostArchitecture() ? probed.value : { accel: 'tcg', reason: `architecture ${plan.arch} is emulated on this ${process.arch} host` };
    const disks: ResolvedDisk[] = prepared.value;
    took.step('pod+volumes');
    // Overlays and the cloud-init ISO come from qemu-img and xorriso, which follow the umask.
    // The files step is synchronous: small files, and each libuv round trip costs a reschedule
    // on a loaded machine (docs/benchmarks.md, create → Running).
    for (const d of disks) if (d.path.startsWith(`${p.runDir}/`)) chmodSync(d.path, 0o600);
    let attachment: NetworkAttachment = { nics: [] };
    if (options.network) {
      // CNI finds the pod's namespace by its name (and records it for its DEL): bound first.
      if (plan.nics.length > 0) await podBound();
      try {
        attachment = await options.network.attach(plan, p, startOptions.signal ? { signal: startOptions.signal } : {});
      } catch (err) {
        // The attacher undid its own work; the pod goes too, so a failed start leaves nothing on the node.
        await removePod(p).catch((e: unknown) => log.warn({ uid, err: String(e) }, 'cannot remove the pod of a failed start'));
        throw new GuestStartError(uid, `network: ${(err as Error).message}`, { cause: err });
      }
    }
    const nics = nicsFor(plan, attachment.nics);
    took.step('network');

    const ovmfFiles = plan.arch === 'arm64' ? (options.aavmf ?? AAVMF_FILES) : (options.ovmf ?? OVMF_FILES);
    let ovmf: { code: string; vars: string; secureBoot?: boolean } | undefined;
    if (plan.firmware.bootloader === 'efi') {
      // secureBoot only when asked for explicitly (KubeVirt would default it on with SMM).
      const secure = plan.firmware.secureBoot && ovmfFiles.secureCode !== undefined && ovmfFiles.secureVars !== undefined;
      const vars = join(p.runDir, plan.arch === 'arm64' ? 'AAVMF_VARS.fd' : 'OVMF_VARS.fd');
      // Per-VMI variables, copied once: kept for the VMI's lifetime.
      if (!existsSync(vars)) copyFileSync(secure && ovmfFiles.secureVars ? ovmfFiles.secureVars : ovmfFiles.vars, vars);
      chmodSync(vars, 0o600); // copyFile gives the copy the source's mode (0644)
      ovmf = { code: secure && ovmfFiles.secureCode ? ovmfFiles.secureCode : ovmfFiles.code, vars, secureBoot: secure };
    } else {
      writePrivateFileSync(files.serconPort, serconPortBytes());
    }
    // QEMU's one writable place once it runs as its user: opened by it (as root) at start.
    mkdirPrivateSync(files.qemuDir);
    if (options.qemuUser) chownSync(files.qemuDir, options.qemuUser.uid, options.qemuUser.gid);

    let args: string[];
    try {
      args = qemuArgs(plan, { runDir: p.runDir, accel: probe.accel, disks, nics, ...(ovmf ? { ovmf } : {}), extraArgs: options.extraArgs?.(vmi) ?? [], ...(options.qemuUser ? { runAs: options.qemuUser.name } : {}) });
    } catch (err) {
      throw new GuestStartError(uid, (err as Error).message, { cause: err });
    }
    const record: GuestRecord = {
      uid,
      netns: p.netns,
      runDir: p.runDir,
      softwareEmulation: probe.accel === 'tcg',
      interfaces: nics.map((n) => {
        const b = attachment.nics.find((x) => x.name === n.name);
        const ips = b?.ipAddresses ?? [];
        return {
          name: n.name,
          mac: n.mac,
          ...(ips[0] !== undefined ? { ipAddress: ips[0], ipAddresses: ips } : {}),
          ...(b?.podInterfaceName ? { podInterfaceName: b.podInterfaceName } : {}),
          ...(b?.infoSource ? { infoSource: b.infoSource } : {}),
        };
      }),
      ...(attachment.annotations ? { annotations: attachment.annotations } : {}),
      startedAt: new Date().toISOString(),
      ...(options.storeId !== undefined ? { storeId: options.storeId } : {}),
      ...(options.qemuUser ? { qemuUser: options.qemuUser.name } : {}),
      qemuDirFd: QEMU_DIR_FD,
      ...virtualCdOf(plan),
    };
    await writeGuestRecord(p.runDir, record);
    writePrivateFileSync(join(p.runDir, 'qemu.args'), JSON.stringify(args));
    took.step('files');
    log.info({ uid, netns: p.netns, arch: plan.arch, accel: probe.accel, accelReason: probe.reason }, 'starting QEMU');
    const qemuBinary = plan.arch === 'amd64' ? options.qemuBinary : ARCH_PROFILES[plan.arch].binary;
    const g: Guest = { record, pid: 0 };
    guests.set(uid, g);
    const qemuDirFd = openSync(files.qemuDir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    try {
      // QEMU joins the namespace by the daemon's descriptor (never by the spare's name, which
      // replenish drops); the bind under the pod's name is spawned right after QEMU's launcher,
      // so it overlaps QEMU's own start, and the start ends only once it has settled.
      const proc = await QemuProcess.launch({
        netns: p.netns,
        netnsPath: podNetns.path,
        afterSpawn: () => void podNetns.bind().catch(() => undefined),
        runDir: p.runDir,
        args,
        log,
        fds: [qemuDirFd],
        ...(qemuBinary ? { qemuBinary } : {}),
        ...(startOptions.signal ? { signal: startOptions.signal } : {}),
      });
      watch(g, proc);
      took.step('qemu');
      try {
        await podNetns.bind();
      } catch (err) {
        await proc.kill(`the pod's network namespace has no name: ${(err as Error).message}`);
        throw err;
      }
      took.step('bind'); // what is left of it once QEMU is up: 0 unless the bind is slower than QEMU's start
      // A one-time boot override: this boot used it; every later reset boots as the spec says.
      try {
        for (const step of bootRestoreSteps(plan)) await proc.execute('qom-set', { path: step.path, property: 'bootindex', value: step.value });
      } catch (err) {
        await proc.kill(`cannot restore the boot order after a one-time boot override: ${(err as Error).message}`);
        throw err;
      }
      log.info({ uid, ms: took.ms }, 'QEMU started');
    } catch (err) {
      g.exit = await recordExit(p.runDir, { kind: 'crashed', reason: (err as Error).message, at: new Date().toISOString() });
      emit(g);
      throw new GuestStartError(uid, (err as Error).message, { cause: err });
    } finally {
      closeSync(qemuDirFd);
    }
    emit(g);
    return observation(g);
  }

  const runtime: LocalRuntime = {
    start(vmi, startOptions = {}) {
      const uid = vmi.metadata.uid;
      const known = guests.get(uid);
      if (known) return Promise.resolve(observation(known));
      let pending = starting.get(uid);
      if (!pending) {
        pending = doStart(vmi, startOptions).finally(() => {
          starting.delete(uid);
          // After the start, not during it, nor while the controller writes its Running status:
          // each of the spare's three processes blocks the event loop while it is spawned.
          setTimeout(() => void spare.replenish(), SPARE_AFTER_START_MS).unref();
        });
        starting.set(uid, pending);
      }
      return pending;
    },

    async stop(uid, graceSeconds) {
      await starting.get(uid)?.catch(() => undefined);
      const g = await adoptOne(uid);
      const proc = g?.proc;
      if (!proc || proc.state === 'exited') return;
      if (graceSeconds > 0) {
        try {
          await proc.powerdown();
          const ac = new AbortController();
          const timer = sleep(graceSeconds * 1000, 'timeout' as const, { signal: ac.signal }).catch(() => 'cancelled' as const);
          const first = await Promise.race([proc.exited, timer]);
          ac.abort();
          if (first !== 'timeout') return;
        } catch (err) {
          log.warn({ uid, err: String(err) }, 'ACPI power-down failed; killing QEMU');
        }
        await proc.kill(`killed after the grace period of ${graceSeconds}s`);
      } else {
        await proc.kill('killed at once (grace period 0)');
      }
    },

    async cleanup(uid, identity) {
      await runtime.stop(uid, 0).catch(() => undefined);
      guests.get(uid)?.proc?.detach();
      guests.delete(uid);
      const p = pod(uid);
      // CNI DEL before the netns goes: IPAM allocations and the node's veth ends are released.
      if (options.network) {
        await options.network.detach({ namespace: identity?.namespace ?? '', name: identity?.name ?? '', uid }, p).catch((err: unknown) => {
          log.warn({ uid, err: String(err) }, 'network detach failed; removing the pod anyway');
        });
      }
      await removePod(p);
    },

    observe(uid) {
      const g = guests.get(uid);
      return g ? observation(g) : undefined;
    },

    async adopt() {
      await spare.sweep();
      const root = join(options.dataDir, 'run', 'vmi');
      const uids = await readdir(root).catch(() => [] as string[]);
      const found: GuestObservation[] = [];
      for (const uid of uids) {
        const g = await adoptOne(uid).catch((err: unknown) => {
          log.warn({ uid, err: String(err) }, 'cannot adopt guest');
          return undefined;
        });
        if (g) found.push(observation(g));
      }
      return found;
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async act(uid, action) {
      const proc = guests.get(uid)?.proc;
      if (!proc || proc.state !== 'running') throw new GuestNotRunningError(uid, action);
      if (action === 'pause') {
        if (proc.paused) throw new GuestStateError(uid, action, 'VMI is already paused');
        await proc.pause();
      } else if (action === 'unpause') {
        if (!proc.paused) throw new GuestStateError(uid, action, 'VMI is not paused');
        await proc.unpause();
      } else if (action === 'reset') {
        // The reset button: QEMU rebuilds the firmware's boot order from the devices' bootindex.
        await proc.execute('system_reset');
      } else if (action === 'nmi') {
        await proc.execute('inject-nmi');
      } else {
        if (proc.paused) throw new GuestStateError(uid, action, 'VMI is paused');
        await proc.softReboot();
      }
    },

    async execute(uid, command, args) {
      const proc = guests.get(uid)?.proc;
      if (!proc || proc.state === 'exited') throw new GuestNotRunningError(uid, command);
      return proc.execute(command, args);
    },

    setMedia(uid, file) {
      const g = guests.get(uid);
      const proc = g?.proc;
      if (!g || !proc || proc.state !== 'running') return Promise.reject(new GuestNotRunningError(uid, 'a virtual media change'));
      const id = g.record.virtualCd;
      if (id === undefined) return Promise.reject(new NoVirtualCdError(uid));
      const where = runtime.qemuFile(uid, LIVE_MEDIA_FILE);
      const change = async () => {
        if (file !== undefined) await placeForQemu(file, where.host, g.record.qemuUser !== undefined ? options.qemuUser?.gid : undefined);
        await changeMedium(uid, (command, args) => proc.execute(command, args), mediaSteps(id, file === undefined ? undefined : where.qemu));
        if (file === undefined) await rm(where.host, { force: true });
      };
      // One change at a time per guest: QMP's tray steps of two changes must not interleave.
      const next = (g.media ?? Promise.resolve()).catch(() => undefined).then(change);
      g.media = next;
      return next;
    },

    qemuFile(uid, name) {
      const { runDir } = pod(uid);
      // Guests started before QEMU held its directory run as root and reach the run dir by path.
      if (guests.get(uid)?.record.qemuDirFd !== QEMU_DIR_FD) return { host: join(runDir, name), qemu: join(runDir, name) };
      return { host: join(runFiles(runDir).qemuDir, name), qemu: inQemuDir(name) };
    },

    async close() {
      for (const g of guests.values()) g.proc?.detach();
      guests.clear();
      listeners.clear();
      await spare.close();
    },

    paths(uid) {
      const { runDir } = pod(uid);
      const f = runFiles(runDir);
      return { runDir, serialSocket: f.serialSocket, serialLog: f.serialLog, vncSocket: f.vncSocket, qmpSocket: f.qmpSocket };
    },
  };
  return runtime;
}

/** Milliseconds spent in each named step of a guest start, for the start log (docs/benchmarks.md). */
function stepTimes(): { step(name: string): void; part<T>(name: string, start: () => Promise<T>): Promise<T>; ms: Record<string, number> } {
  let last = performance.now();
  const ms: Record<string, number> = {};
  const since = (t: number) => Math.round((performance.now() - t) * 10) / 10;
  return {
    ms,
    /**
     * The time of one of several concurrent parts of the next step (informational: not summed),
     * from before its synchronous beginning (a spawn, small files) to its end.
     */
    part(name, start) {
      const t = performance.now();
      return start().finally(() => (ms[name] = since(t)));
    },
    step(name) {
      const now = performance.now();
      ms[name] = Math.round((now - last) * 10) / 10;
      last = now;
    },
  };
}
