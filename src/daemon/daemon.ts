// `pxevirt up`'s process body: opens the store, makes sure of the `default` namespace and the
// TLS material, writes the kubeconfig, and serves the API over HTTPS.
import { fileJournal } from '../network/nncp/journal.ts';
import { chainMutators, DEFAULT_IPXE_DIR, pxeRootMutator } from './pxe-roots.ts';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from '../lib/logger.ts';
import type { KindInfo } from '../resources/kind.ts';
import { KINDS } from '../resources/kinds.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { AlreadyExistsError } from '../store/errors.ts';
import type { ObjectStore } from '../store/types.ts';
import { createApiHandler } from '../api/handler.ts';
import { afterDurable } from '../api/durable.ts';
import { MAX_BODY_BYTES } from '../api/body.ts';
import { startEventExpiry } from '../store/event-expiry.ts';
import { carriesToken } from '../api/auth.ts';
import { ServerLimits, nodeListener, serverOptions } from '../api/node-adapter.ts';
import { withWebUi } from '../web/web-handler.ts';
import { createRedfishHandler, isRedfishPath, VM_KEY } from '../redfish/service.ts';
import { nodeMediaStore } from './media-store.ts';
import { createEventRecorder } from '../controllers/events.ts';
import { websocketUpgrades } from '../api/ws-adapter.ts';
import { localGuestAccess } from './guest-access.ts';
import { startControllers, VMI_KEY, type Controllers } from '../controllers/controller.ts';
import { NAD_KEY, startPxeServerController, type PxeServerController } from '../controllers/pxeserver-controller.ts';
import { startNncpController } from '../controllers/nncp-controller.ts';
import { createVmMetrics } from '../controllers/metrics.ts';
import type { GuestAction, VmiRuntime } from '../runtime/types.ts';
import { claimsDir, createLocalRuntime, mediaRoot, type LocalRuntime } from '../runtime/local-runtime.ts';
import { startStorageController } from '../controllers/storage-controller.ts';
import { builtInStorageClasses } from '../resources/pvc-kind.ts';
import { DiskCache, prepareVolumes, sweepMedia } from '../runtime/volumes/index.ts';
import { createCa, createServerCert, type KeyPairPem } from './certs.ts';
import { imageCacheDir } from './config.ts';
import { kubeconfigText, serverUrl } from './kubeconfig.ts';
import { listenLocalSocket, type LocalSocket } from './local-socket.ts';
import { macPoolMutator } from './mac-pool.ts';
import { instancetypeMutator } from './instancetype-mutator.ts';
import { nncpHost, nodeCniManager, vmiNetworking } from './node-network.ts';
import type { NetworkAttacher } from '../runtime/nics.ts';
import { DEFAULT_PXE_USER, DEFAULT_QEMU_USER, resolveRunAsUser, type RunAsUser } from '../runtime/run-as.ts';

export interface DaemonOptions {
  dataDir: string;
  /** `HOST:PORT` (`[::1]:6443` for IPv6); port 0 picks a free one. */
  listen: string;
  log: Logger;
  /** The kinds to serve (default: every kind pxevirt knows). */
  kinds?: readonly KindInfo[];
  version?: string;
  /** Run the VMI and VM controllers (default true). Off, VMIs stay as written (API-only tests). */
  controllers?: boolean;
  /** This node's name in status.nodeName (default: os.hostname()). */
  nodeName?: string;
  /** Registry → mirror URL for containerDisk pulls, e.g. { 'docker.io': 'http://127.0.0.1:5000' }. */
  registryMirrors?: Record<string, string>;
  /** Prefix of the pods' network namespace names (default the runtime's, `pxv-`). */
  netnsPrefix?: string;
  /** The runtime to act through (tests); default: the local QEMU runtime. */
  runtime?: VmiRuntime;
  /** The MAC pool's range `FIRST-LAST` (default 02:00:00:00:00:00-02:ff:ff:ff:ff:ff); see src/daemon/mac-pool.ts. */
  macRange?: string;
  /** Prefix of the PXEServers' pod netns names (default `pxs-`). */
  pxeNetnsPrefix?: string;
  /** How often running PXE servers' status is read (default 3 s). */
  pxeStatusPollMs?: number;
  /** The node's network namespace (isolated node; created when missing). Default: the daemon's own. */
  nodeNetns?: string;
  /** Allow pxevirt to change this machine's own network namespace when it is the node. */
  hostNetwork?: boolean;
  /** Where CNI plugins are looked up (default /usr/lib/cni). */
  cniPluginDirs?: string[];
  /** Directories PXEServer roots may be in besides <data-dir>/pxe (issue 13). */
  pxeRoots?: string[];
  /** Where the iPXE binaries for non-iPXE firmware are (default /usr/lib/ipxe). */
  pxeIpxeDir?: string;
  /** NNCP connectivity probe: `gateway` pings the default gateway before and after an apply (default); `none` checks only that the default route stays. */
  nncpProbe?: 'gateway' | 'none';
  /** The user every guest's QEMU drops to once it has opened its files (default `pxevirt-qemu`); `root` keeps QEMU root. */
  qemuUser?: string;
  /** The user each PXEServer's `pxe serve` drops to once its ports are bound (default `pxevirt-pxe`); `root` keeps it root. */
  pxeUser?: string;
}

/** Creates the node namespace when it does not exist yet (loopback up). */
async function ensureNetns(name: string): Promise<void> {
  if (existsSync(join('/run/netns', name))) return;
  const run = promisify(execFile);
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'dev', 'lo', 'up']);
}

/** Parses repeatable `REGISTRY=URL` mirror options; throws naming the expected form. */
export function parseRegistryMirrors(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const at = v.indexOf('=');
    const registry = at > 0 ? v.slice(0, at).trim() : '';
    const url = at > 0 ? v.slice(at + 1).trim() : '';
    if (!registry || !url) throw new Error(`--registry-mirror must be REGISTRY=URL (e.g. docker.io=http://127.0.0.1:5000), found ${JSON.stringify(v)}`);
    out[registry] = url;
  }
  return out;
}

/** The local QEMU runtime with the volume preparer (one image cache per node). */
function localRuntime(options: DaemonOptions, log: Logger, storeId: string, cache: DiskCache, qemuUser: RunAsUser | undefined, network?: NetworkAttacher): LocalRuntime {
  const cacheDir = cache.cacheDir;
  return createLocalRuntime({
    ...(qemuUser ? { qemuUser } : {}),
    dataDir: options.dataDir,
    log: log.child({ component: 'runtime' }),
    cacheDir,
    mirrors: options.registryMirrors ?? {},
    volumes: (vmi, o) => prepareVolumes(vmi, { ...o, cache }),
    ...(options.netnsPrefix ? { netnsPrefix: options.netnsPrefix } : {}),
    ...(network ? { network } : {}),
    storeId,
  });
}

export interface Daemon {
  host: string;
  port: number;
  kubeconfigPath: string;
  /** Stops listening, ends watches and closes the store. */
  close(): Promise<void>;
}

/** Splits `HOST:PORT`; throws naming the expected form. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new Error(`--listen must be HOST:PORT (e.g. 127.0.0.1:6443), found ${JSON.stringify(listen)}`);
  return { host: m[1] ?? m[2] ?? '', port };
}

/** Writes a file atomically with the given mode. */
function writePrivate(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

async function loadOrCreateCa(dataDir: string): Promise<KeyPairPem> {
  const certPath = join(dataDir, 'ca.crt');
  const keyPath = join(dataDir, 'ca.key');
  if (existsSync(certPath) && existsSync(keyPath)) return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
  const ca = await createCa();
  writePrivate(keyPath, ca.keyPem);
  writePrivate(certPath, ca.certPem);
  return ca;
}

function loadOrCreateToken(dataDir: string): string {
  const path = join(dataDir, 'token');
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token) return token;
  }
  const token = randomBytes(32).toString('base64url');
  writePrivate(path, `${token}\n`);
  return token;
}

function ensureDefaultNamespace(store: ObjectStore): void {
  try {
    store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' }, spec: {}, status: { phase: 'Active' } });
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
  }
  // The local storage classes (served read-only; see resources/pvc-kind.ts).
  for (const sc of builtInStorageClasses()) {
    try {
      store.create({ group: 'storage.k8s.io', resource: 'storageclasses' }, sc as unknown as Parameters<ObjectStore['create']>[1]);
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }
}

/** The sign-in form's body limit (a token, form-encoded or JSON). */
const LOGIN_BODY_BYTES = 16 * 1024;
/** A Redfish request body (a session, a reset, a boot override) is a few hundred bytes. */
const REDFISH_BODY_BYTES = 64 * 1024;

/** Starts the daemon; resolves once it listens. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { host, port } = parseListen(options.listen);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const store = openSqliteStore({ path: join(options.dataDir, 'pxevirt.db'), logger: options.log.child({ component: 'store' }) });
  let server: Server | undefined;
  let apiSocket: LocalSocket | undefined;
  let controllers: Controllers | undefined;
  let pxeServers: PxeServerController | undefined;
  let nncp: Controllers | undefined;
  let storage: Controllers | undefined;
  let closeRuntime: (() => Promise<void>) | undefined;
  // Events expire an hour after their last write, as with kube-apiserver's --event-ttl.
  const stopEventExpiry = startEventExpiry({ store, now: Date.now });
  try {
    ensureDefaultNamespace(store);
    const ca = await loadOrCreateCa(options.dataDir);
    const token = loadOrCreateToken(options.dataDir);
    const cert = await createServerCert(ca, ['127.0.0.1', 'localhost', '::1', host]);
    const nodeName = options.nodeName ?? hostname();
    const runControllers = options.controllers !== false;
    // One CNI manager per node (its operations are serialised): PXEServer pods use it; VMI pods should share it.
    if (runControllers && options.nodeNetns) await ensureNetns(options.nodeNetns);
    const cni = runControllers
      ? nodeCniManager({
          dataDir: options.dataDir,
          log: options.log,
          resolveNad: (namespace, name) => {
            try {
              const config = (store.get(NAD_KEY, namespace, name).spec as { config?: unknown } | undefined)?.config;
              return typeof config === 'string' ? config : undefined;
            } catch {
              return undefined;
            }
          },
          ...(options.nodeNetns ? { nodeNetns: options.nodeNetns } : {}),
          ...(options.hostNetwork ? { hostNetwork: true } : {}),
          ...(options.cniPluginDirs ? { cniPluginDirs: options.cniPluginDirs } : {}),
        })
      : undefined;
    // One image cache per node: containerDisks and registry DataVolumes share it.
    const imageCache = new DiskCache(imageCacheDir(options.dataDir));
    // A missing QEMU user stops the start here, naming the setting, rather than failing every guest.
    const qemuUserName = options.qemuUser ?? DEFAULT_QEMU_USER;
    const qemuUser = runControllers && !options.runtime && qemuUserName !== 'root' ? await resolveRunAsUser(qemuUserName, 'qemuUser') : undefined;
    const local = runControllers && !options.runtime ? localRuntime(options, options.log, store.identity(), imageCache, qemuUser, cni ? vmiNetworking(cni, options.log) : undefined) : undefined;
    closeRuntime = local ? () => local.close() : undefined;
    const runtime = runControllers ? (options.runtime ?? local) : undefined;
    const metrics = createVmMetrics({
      vmiPhases: () => store.list(VMI_KEY).items.map((o) => String((o.status as { phase?: unknown } | undefined)?.phase ?? '')),
      qemuProcesses: () => (runtime ? store.list(VMI_KEY).items.filter((o) => (runtime.observe(o.metadata.uid)?.state ?? 'exited') !== 'exited').length : 0),
    });
    const macPool = macPoolMutator({ store, dataDir: options.dataDir, range: options.macRange });
    const handler = createApiHandler({
      store,
      kinds: options.kinds ?? KINDS,
      token,
      ...(options.version ? { version: options.version } : {}),
      metrics: async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }),
      ...(local ? { guests: localGuestAccess(local, options.nodeNetns ? { nodeNetns: options.nodeNetns } : {}) } : {}),
      mutate: chainMutators(
        instancetypeMutator(store),
        macPool,
        pxeRootMutator({ dataDir: options.dataDir, allowed: options.pxeRoots ?? [], ipxeDir: options.pxeIpxeDir ?? DEFAULT_IPXE_DIR }),
      ),
    });
    // The web UI (/ui/, sign-in with the token) in front of the API on the same port.
    // Only the token holder may send a body (the UI's sign-in form a small one): checked on the headers, before reading.
    // Redfish clients authenticate with Basic or X-Auth-Token, checked after the (small) body is read.
    const bodyLimit = (headers: Record<string, string | undefined>, path: string) =>
      carriesToken(headers, token) ? MAX_BODY_BYTES : path === '/ui/login' ? LOGIN_BODY_BYTES : isRedfishPath(path) ? REDFISH_BODY_BYTES : 0;
    // The Redfish BMC of every VM (/redfish/v1), beside the API and apart from its handler.
    const vmUids = () => new Set(store.list(VM_KEY).items.map((vm) => vm.metadata.uid));
    await sweepMedia(mediaRoot(options.dataDir), vmUids(), { partials: true }).catch((err: unknown) => options.log.warn({ err: String(err) }, 'cannot sweep the virtual media of deleted VMs'));
    const bmcEvents = createEventRecorder({ store, host: nodeName, log: options.log.child({ component: 'redfish' }) });
    const redfish = createRedfishHandler({
      store,
      adminPassword: token,
      uuid: store.identity(),
      ...(options.version ? { version: options.version } : {}),
      ...(runtime ? { guests: { act: (uid: string, action: GuestAction) => runtime.act(uid, action) } } : {}),
      media: nodeMediaStore(mediaRoot(options.dataDir), vmUids, local),
      event: (vm, reason, message) => bmcEvents.record(vm, { type: 'Normal', reason, message }, 'pxevirt-bmc'),
    });
    const web = withWebUi(handler, { token });
    // Redfish writes (power state, events) are acknowledged once durable, like the API's.
    const front = (req: Parameters<typeof web>[0]) => (isRedfishPath(req.path) ? afterDurable(store, redfish(req)) : web(req));
    const listener = nodeListener(front, options.log.child({ component: 'api' }), { bodyLimit });
    server = createServer({ cert: cert.certPem, key: cert.keyPem, ...serverOptions }, listener);
    server.maxConnections = ServerLimits.maxConnections;
    // console and vnc: websockets through the same handler (and its auth).
    const upgrades = websocketUpgrades(handler, options.log.child({ component: 'api' }));
    server.on('upgrade', upgrades.listener);
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(port, host, () => resolve());
    });
    const actual = (listening.address() as AddressInfo).port;
    // The same listener on a unix socket, for the CLI on this host (the kubeconfig names it).
    apiSocket = await listenLocalSocket({ dataDir: options.dataDir, listener, upgrade: upgrades.listener, log: options.log.child({ component: 'api' }) });
    const kubeconfigPath = join(options.dataDir, 'kubeconfig');
    writePrivate(kubeconfigPath, kubeconfigText({ server: serverUrl(host, actual), caPem: ca.certPem, token, ...(apiSocket ? { socket: apiSocket.path } : {}) }));
    if (runtime) {
      controllers = await startControllers({ store, runtime, nodeName, log: options.log.child({ component: 'controllers' }), metrics });
      storage = await startStorageController({
        store,
        nodeName,
        claimsDir: claimsDir(options.dataDir),
        cache: imageCache,
        mirrors: options.registryMirrors ?? {},
        log: options.log.child({ component: 'storage-controller' }),
      });
      options.log.info({ nodeName }, 'controllers started');
    }
    if (cni) {
      // A missing PXE user stops the start here, naming the setting, as qemuUser does.
      const pxeUserName = options.pxeUser ?? DEFAULT_PXE_USER;
      const pxeUser = pxeUserName === 'root' ? undefined : await resolveRunAsUser(pxeUserName, 'pxeUser');
      pxeServers = await startPxeServerController({
        ...(pxeUser ? { user: pxeUser } : {}),
        store,
        cni,
        dataDir: options.dataDir,
        nodeName,
        log: options.log.child({ component: 'pxeserver-controller' }),
        ...(options.pxeNetnsPrefix ? { netnsPrefix: options.pxeNetnsPrefix } : {}),
        ...(options.pxeStatusPollMs ? { pollMs: options.pxeStatusPollMs } : {}),
        ipxeDir: options.pxeIpxeDir ?? DEFAULT_IPXE_DIR,
      });
    }
    if (runControllers) {
      // NodeNetworkConfigurationPolicies change this process's network namespace (the node's).
      nncp = await startNncpController({
        store,
        nodeName,
        journal: fileJournal(join(options.dataDir, 'nncp', 'checkpoint.json')),
        ...(options.nncpProbe === 'none' ? { probeGateway: false } : {}),
        host: nncpHost({ ...(options.nodeNetns ? { nodeNetns: options.nodeNetns } : {}), ...(options.hostNetwork ? { hostNetwork: true } : {}) }),
        log: options.log.child({ component: 'nncp-controller' }),
      });
    }
    options.log.info({ host, port: actual, kubeconfig: kubeconfigPath, ui: `${serverUrl(host, actual)}/ui/` }, 'listening');
    const running = controllers;
    const pxeRunning = pxeServers;
    const nncpRunning = nncp;
    const storageRunning = storage;
    const detach = closeRuntime;
    const localSocket = apiSocket;
    let closing: Promise<void> | undefined;
    return {
      host,
      port: actual,
      kubeconfigPath,
      close: () => {
        // Controllers stop first; guests keep running (they are detached) and are adopted next time.
        closing ??= Promise.all([running?.stop(), pxeRunning?.stop(), nncpRunning?.stop(), storageRunning?.stop()])
          .then(
            () =>
              new Promise<void>((resolve) => {
                handler.closeSessions();
                upgrades.close();
                listening.close(() => resolve());
                listening.closeAllConnections();
              }),
          )
          .then(() => localSocket?.close())
          .finally(async () => {
            await detach?.();
            stopEventExpiry();
            // The exact MAC cursor, so a clean restart skips no MAC (after kill -9 the reservation is used).
            try {
              macPool.close();
            } catch (err) {
              options.log.warn({ err: String(err) }, 'cannot write the MAC cursor; the next start continues after its reservation');
            }
            store.close();
          });
        return closing;
      },
    };
  } catch (err) {
    await controllers?.stop();
    await pxeServers?.stop();
    await nncp?.stop();
    await storage?.stop();
    await closeRuntime?.();
    server?.close();
    await apiSocket?.close();
    stopEventExpiry();
    store.close();
    throw err;
  }
}
