// A PXEServer's pod on the node (the runtime side of the PXEServer controller, reached through
// the PxeServerHost port in pxeserver-host.ts): its own netns (`pxs-<uid8>`) attached to the NAD through the
// CNI manager, the spec's address on that interface, a run dir <data-dir>/run/pxeserver/<uid>/
// with the serve config, downloaded images, leases and the log (state/) and the status socket,
// and `pxevirt pxe serve` running there detached, dropping to the node's PXE user (`--user`)
// once its ports are bound. Every step is idempotent; teardown leaves nothing on the node.
// pod.json records the store that made the pod: another store's pods are never removed.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, copyFile, link, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../lib/logger.ts';
import { DEFAULT_PXE_INTERFACE, type PxeServerResourceSpec } from '../resources/pxe-server-kind.ts';
import type { PxeServerSpec } from '../resources/pxe-server.ts';
import { DetachedProcess, type DetachedExit } from './detached-process.ts';
import { download } from './download.ts';
import type { RunAsUser } from './run-as.ts';
import { createPod, removePod, type Pod } from './pod.ts';
import { statusRequest } from './pxe-status-client.ts';

const run = promisify(execFile);

export const DEFAULT_PXE_NETNS_PREFIX = 'pxs-';
/** The detached process's file stem in the run dir. */
export const SERVE_NAME = 'pxe-serve';

/** Why a pod step failed: the Ready condition's reason the controller reports. */
export const PxeReason = {
  NetworkNotFound: 'NetworkNotFound',
  NetworkAttachFailed: 'NetworkAttachFailed',
  AddressFailed: 'AddressFailed',
  ImageDownloadFailed: 'ImageDownloadFailed',
  ServerStartFailed: 'ServerStartFailed',
} as const;
export type PodFailureReason = (typeof PxeReason)[keyof typeof PxeReason];

/** A pod's identity for the network plugins (CNI_ARGS, CNI_NETNS, CNI_CONTAINERID): the network layer's CniPod. */
export type CniPod = Pick<PxeServerPod, 'namespace' | 'name' | 'uid' | 'netns'> & { containerId: string };

/** The network layer as a PXEServer pod sees it (the CNI manager): attach a NAD, undo it. */
export interface PodNetwork {
  add(pod: CniPod, attachments: readonly { network: string; ifname: string; networkName?: string }[], options?: { signal?: AbortSignal }): Promise<readonly { mac?: string }[]>;
  del(pod: CniPod): Promise<void>;
}

/** A setup step failed; `reason` is the Ready condition's reason. */
export class PxeServerSetupError extends Error {
  constructor(
    readonly reason: PodFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PxeServerSetupError';
  }
}

export interface PxeServerPod extends Pod {
  namespace: string;
  name: string;
  /** The interface on the NAD inside the netns. */
  ifname: string;
}

/** What the run dir remembers between daemons (pod.json): enough to tear down without the object. */
interface PodRecord {
  pod: CniPod;
  /** `namespace/name` of the NAD attached, when attached. */
  attached?: string;
  ifname?: string;
  mac?: string;
  /** Hash of the spec the running server was started with. */
  specHash?: string;
  /** The identity of the store whose daemon made the pod (absent in records written before). */
  storeId?: string;
}

export interface PxeServerPodOptions {
  dataDir: string;
  netnsPrefix?: string;
  /** The iPXE binaries' directory: the node's setting, never the spec's (default /usr/lib/ipxe). */
  ipxeDir?: string;
  cni: PodNetwork;
  log: Logger;
  /** argv before `--config …`: default [node, bin/pxevirt, 'pxe', 'serve']. */
  serveCommand?: readonly string[];
  /** Deadline of one image download (default 10 min). */
  downloadTimeoutMs?: number;
  /** The user `pxe serve` becomes after binding (the daemon's pxeUser); absent: it stays root. */
  user?: RunAsUser;
  /** This daemon's store identity, recorded in pod.json: only its own pods are ever removed. */
  storeId?: string;
}

const UID = /^[A-Za-z0-9][A-Za-z0-9-]{7,63}$/;

/** Where a PXEServer's pod lives. */
export function pxeServerPod(object: { uid: string; namespace: string; name: string; ifname?: string }, options: { dataDir: string; netnsPrefix?: string }): PxeServerPod {
  if (!UID.test(object.uid)) throw new Error(`PXEServer uid: expected 8–64 letters, digits and dashes, found ${JSON.stringify(object.uid)}`);
  return {
    uid: object.uid,
    namespace: object.namespace,
    name: object.name,
    netns: `${options.netnsPrefix ?? DEFAULT_PXE_NETNS_PREFIX}${object.uid.slice(0, 8)}`,
    runDir: join(options.dataDir, 'run', 'pxeserver', object.uid),
    ifname: object.ifname ?? DEFAULT_PXE_INTERFACE,
  };
}

export const podFiles = (runDir: string) => ({
  record: join(runDir, 'pod.json'),
  config: join(runDir, 'serve.json'),
  /** Leases, install state and the log: the one directory handed to the PXE user. */
  stateDir: join(runDir, 'state'),
  log: join(runDir, 'state', 'pxe.log'),
  servedRoot: join(runDir, 'root'),
  statusSocket: join(runDir, 'status.sock'),
});

const cniPodOf = (p: PxeServerPod): CniPod => ({ namespace: p.namespace, name: p.name, uid: p.uid, netns: p.netns, containerId: `pxeserver-${p.uid}` });
const newRecord = (p: PxeServerPod, storeId: string | undefined): PodRecord => ({ pod: cniPodOf(p), ...(storeId === undefined ? {} : { storeId }) });

/** A stable hash of the spec (a changed spec restarts the server). */
export function specHash(server: unknown): string {
  return createHash('sha256').update(JSON.stringify(server)).digest('hex').slice(0, 16);
}

export async function readPodRecord(runDir: string): Promise<PodRecord | undefined> {
  return readFile(podFiles(runDir).record, 'utf8').then((t) => JSON.parse(t) as PodRecord, () => undefined);
}

async function writePodRecord(runDir: string, record: PodRecord): Promise<void> {
  const file = podFiles(runDir).record;
  await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

async function ipIn(netns: string, reason: PodFailureReason, ...args: string[]): Promise<string> {
  try {
    return (await run('ip', ['-n', netns, ...args])).stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim() || String(err);
    throw new PxeServerSetupError(reason, `ip -n ${netns} ${args.join(' ')} failed: ${stderr}`, { cause: err });
  }
}

/** `namespace/name` of the spec's NAD. */
export function nadRef(network: string, namespace: string): string {
  return network.includes('/') ? network : `${namespace}/${network}`;
}

/**
 * The netns, the NAD attachment (CNI ADD, once per NAD) and the address on the interface.
 * Returns the interface's MAC.
 */
export async function attachNetwork(p: PxeServerPod, server: PxeServerResourceSpec, o: PxeServerPodOptions & { signal?: AbortSignal }): Promise<{ mac?: string }> {
  await createPod(p);
  const record = (await readPodRecord(p.runDir)) ?? newRecord(p, o.storeId);
  const wanted = nadRef(server.network, p.namespace);
  let mac = record.mac;
  if (record.attached !== wanted || record.ifname !== p.ifname || !(await linkExists(p.netns, p.ifname))) {
    // Whatever an earlier attempt or another NAD left (DEL of nothing is a no-op).
    await o.cni.del(record.pod).catch((err: unknown) => o.log.warn({ pod: p.netns, err: String(err) }, 'CNI DEL of the previous attachment failed'));
    delete record.attached;
    await writePodRecord(p.runDir, record);
    try {
      const [result] = await o.cni.add(record.pod, [{ network: server.network, ifname: p.ifname, networkName: server.network }], o.signal ? { signal: o.signal } : {});
      mac = result?.mac;
    } catch (err) {
      const reason = (err as Error).name === 'NadNotFoundError' ? PxeReason.NetworkNotFound : PxeReason.NetworkAttachFailed;
      throw new PxeServerSetupError(reason, (err as Error).message, { cause: err });
    }
    Object.assign(record, { attached: wanted, ifname: p.ifname, ...(mac === undefined ? {} : { mac }) });
    await writePodRecord(p.runDir, record);
  }
  // The seed NAD has no IPAM: the address is the spec's, replaced on every (re)start. IPv4 only:
  // the IPv6 link-local address stays, the router-solicitation answer is sent from it.
  await ipIn(p.netns, PxeReason.AddressFailed, '-4', 'addr', 'flush', 'dev', p.ifname);
  if (server.address !== undefined) await ipIn(p.netns, PxeReason.AddressFailed, 'addr', 'add', server.address, 'dev', p.ifname);
  if (server.ipv6?.address !== undefined) {
    // Global IPv6 only (the link-local one stays); nodad: the server binds it at once.
    await ipIn(p.netns, PxeReason.AddressFailed, '-6', 'addr', 'flush', 'dev', p.ifname, 'scope', 'global');
    await ipIn(p.netns, PxeReason.AddressFailed, '-6', 'addr', 'add', server.ipv6.address, 'dev', p.ifname, 'nodad');
  }
  await ipIn(p.netns, PxeReason.AddressFailed, 'link', 'set', 'dev', p.ifname, 'up');
  return mac === undefined ? {} : { mac };
}

async function linkExists(netns: string, ifname: string): Promise<boolean> {
  return run('ip', ['-n', netns, 'link', 'show', 'dev', ifname]).then(() => true, () => false);
}

const isUrl = (s: string) => /^https?:\/\//.test(s);

/** The spec's root on the node: absolute as written, relative under <data-dir>/pxe. */
export function resolveRoot(root: string, dataDir: string): string {
  return isAbsolute(root) ? root : join(dataDir, 'pxe', root);
}

/**
 * The config `pxe serve` gets: the spec without `network`, on the pod's interface, with the
 * root resolved. Images given by http(s) URL are downloaded first (the guests' network
 * reaches only this server); then the served root is <run dir>/root holding the downloads
 * plus links (or copies) of the local image files — other files under the spec's root are
 * not served in that case.
 */
export async function serveConfig(p: PxeServerPod, server: PxeServerResourceSpec, o: PxeServerPodOptions & { signal?: AbortSignal }): Promise<PxeServerSpec> {
  const { network: _network, ...config } = server;
  const root = resolveRoot(server.root, o.dataDir);
  const base: PxeServerSpec = { ...config, interface: p.ifname, root, ipxeDir: o.ipxeDir ?? '/usr/lib/ipxe' };
  const urls = server.images.flatMap((i) => [i.kernel ?? '', ...i.initrd]).filter(isUrl);
  if (urls.length === 0) return base;
  const served = podFiles(p.runDir).servedRoot;
  const images = [];
  for (const image of server.images) {
    const place = async (location: string, slot: string): Promise<string> => {
      if (isUrl(location)) {
        const rel = `${image.name}/${slot}/${basename(new URL(location).pathname) || 'file'}`;
        await download(location, join(served, rel), { log: o.log, ...(o.downloadTimeoutMs === undefined ? {} : { timeoutMs: o.downloadTimeoutMs }), ...(o.signal ? { signal: o.signal } : {}) }).catch((err: unknown) => {
          throw new PxeServerSetupError(PxeReason.ImageDownloadFailed, (err as Error).message, { cause: err });
        });
        return rel;
      }
      await linkOrCopy(join(root, location), join(served, location));
      return location;
    };
    const initrd = [];
    for (const [i, r] of image.initrd.entries()) initrd.push(await place(r, `i${i}`));
    images.push({ ...image, ...(image.kernel === undefined ? {} : { kernel: await place(image.kernel, 'k') }), initrd });
  }
  if (o.user) await shareServed(served, o.user);
  return { ...base, root: served, images };
}

/**
 * Lets the PXE user read what the daemon put in the served root: its directories and the files
 * it downloaded or copied become root:<the user's group>, 0750/0640. Files linked from the spec's
 * root (more than one link) are the administrator's and keep their owner and mode.
 */
async function shareServed(dir: string, user: RunAsUser): Promise<void> {
  await chown(dir, 0, user.gid);
  await chmod(dir, 0o750);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await shareServed(path, user);
    else if (entry.isFile() && (await lstat(path)).nlink === 1) {
      await chown(path, 0, user.gid);
      await chmod(path, 0o640);
    }
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  if (existsSync(to)) return;
  await mkdir(dirname(to), { recursive: true });
  await link(from, to).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new PxeServerSetupError(PxeReason.ImageDownloadFailed, `expected image file ${from}, found nothing`, { cause: err });
    await copyFile(from, to);
  });
}

function defaultServeCommand(): string[] {
  return [process.execPath, new URL('../../bin/pxevirt', import.meta.url).pathname, 'pxe', 'serve'];
}

/** Writes the config and starts `pxevirt pxe serve` detached in the pod; resolves once it answers on its status socket. */
export async function launchServer(p: PxeServerPod, config: PxeServerSpec, hash: string, o: PxeServerPodOptions & { signal?: AbortSignal }): Promise<DetachedProcess> {
  const files = podFiles(p.runDir);
  // A unix socket path is limited to 107 bytes.
  if (Buffer.byteLength(files.statusSocket) > 100) {
    throw new PxeServerSetupError(PxeReason.ServerStartFailed, `expected a data dir short enough for the status socket path (at most 100 bytes), found ${files.statusSocket}`);
  }
  await mkdir(files.stateDir, { recursive: true, mode: 0o700 });
  await writeFile(`${files.config}.tmp`, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await rename(`${files.config}.tmp`, files.config);
  const record = (await readPodRecord(p.runDir)) ?? newRecord(p, o.storeId);
  await writePodRecord(p.runDir, { ...record, specHash: hash, ...(o.storeId === undefined ? {} : { storeId: o.storeId }) });
  try {
    return await DetachedProcess.launch({
      netns: p.netns,
      runDir: p.runDir,
      name: SERVE_NAME,
      argv: [...(o.serveCommand ?? defaultServeCommand()), '--config', files.config, '--state-dir', files.stateDir, '--status-socket', files.statusSocket, '--log-file', files.log, '--user', o.user?.name ?? 'root'],
      log: o.log,
      ready: async () => (await statusRequest(files.statusSocket, '/status', 1000), true),
      startTimeoutMs: 60_000,
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (err) {
    throw new PxeServerSetupError(PxeReason.ServerStartFailed, (err as Error).message, { cause: err });
  }
}

/**
 * The server a previous daemon left running for this pod, with the spec hash it was started with.
 * Its PXEServer is in this store, so a record written before stores were recorded is claimed.
 */
export async function adoptServer(p: PxeServerPod, log: Logger, storeId?: string): Promise<{ proc?: DetachedProcess; exit?: DetachedExit; specHash?: string }> {
  const found = await DetachedProcess.adopt({ runDir: p.runDir, name: SERVE_NAME, log });
  const record = await readPodRecord(p.runDir);
  if (record && record.storeId === undefined && storeId !== undefined) await writePodRecord(p.runDir, { ...record, storeId });
  const hash = record?.specHash === undefined ? {} : { specHash: record.specHash };
  if (found instanceof DetachedProcess) return { proc: found, ...hash };
  return found === undefined ? hash : { exit: found, ...hash };
}

/** Stops the server (if running), CNI DEL from the cached results, removes the netns and the run dir. */
export async function teardownPod(p: Pick<PxeServerPod, 'uid' | 'netns' | 'runDir'>, proc: Pick<DetachedProcess, 'stop'> | undefined, o: Pick<PxeServerPodOptions, 'cni' | 'log'>): Promise<void> {
  const running = proc ?? (await DetachedProcess.adopt({ runDir: p.runDir, name: SERVE_NAME, log: o.log }));
  if (running && 'stop' in running) await running.stop(5000);
  const record = await readPodRecord(p.runDir);
  // A failed DEL is logged, not retried forever: removing the netns below takes the pod's
  // veth (and so its bridge port) with it.
  if (record) await o.cni.del(record.pod).catch((err: unknown) => o.log.warn({ netns: p.netns, err: (err as Error).message ?? String(err) }, 'CNI DEL failed'));
  await removePod({ uid: p.uid, netns: p.netns, runDir: p.runDir });
}

/** Teardown for a run dir whose object is gone (orphans after a daemon restart). */
export async function teardownRunDir(runDir: string, o: Pick<PxeServerPodOptions, 'cni' | 'log'>): Promise<void> {
  const record = await readPodRecord(runDir);
  if (!record) {
    await rm(runDir, { recursive: true, force: true });
    return;
  }
  await teardownPod({ uid: record.pod.uid, netns: record.pod.netns, runDir }, undefined, o);
}
