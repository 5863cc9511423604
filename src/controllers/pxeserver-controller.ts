// The PXEServer controller: for each PXEServer, a pod (netns attached to the NAD, the spec's
// address) running `pxevirt pxe serve` detached; status refreshed from the server's status
// socket every few seconds and written only when it changed. Servers outlive the daemon and
// are adopted on start; delete stops the server and removes everything it had on the node.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/logger.ts';
import type { CniManager } from '../network/cni/types.ts';
import type { PxeServerResourceSpec } from '../resources/pxe-server-kind.ts';
import type { DetachedExit, DetachedProcess } from '../runtime/detached-process.ts';
import { ConflictError, GoneError, NotFoundError } from '../store/errors.ts';
import type { ObjectStore, ResourceKey, StoredObject, WatchEvent } from '../store/types.ts';
import { createEventRecorder } from './events.ts';
import {
  adoptServer,
  attachNetwork,
  launchServer,
  nadRef,
  podFiles,
  PxeServerSetupError,
  pxeServerPod,
  readPodRecord,
  serveConfig,
  specHash,
  statusRequest,
  teardownPod,
  teardownRunDir,
  type PxeServerPod,
  type PxeServerPodOptions,
} from './pxeserver-pod.ts';
import { PxeReason, pxeServerStatus, type PxeServerObservation } from './pxeserver-status.ts';
import type { ControllerEvent } from './vmi-reconcile.ts';
import { createWorkQueue } from './work-queue.ts';

export const PXESERVER_KEY: ResourceKey = { group: 'pxe.pxevirt.io', resource: 'pxeservers' };
export const NAD_KEY: ResourceKey = { group: 'k8s.cni.cncf.io', resource: 'network-attachment-definitions' };
/** Kept on a PXEServer until its server and pod are gone from the node. */
export const PXESERVER_FINALIZER = 'pxe.pxevirt.io/pxeserver-cleanup';

export interface PxeServerControllerOptions {
  store: ObjectStore;
  cni: CniManager;
  dataDir: string;
  nodeName: string;
  log: Logger;
  /** Prefix of the pods' netns names (default `pxs-`). */
  netnsPrefix?: string;
  /** The iPXE binaries' directory (the daemon's pxeIpxeDir; default /usr/lib/ipxe). */
  ipxeDir?: string;
  /** argv of `pxevirt pxe serve` before its options (tests). */
  serveCommand?: readonly string[];
  /** How often running servers' status is read (default 3 s). */
  pollMs?: number;
  /** First restart delay after a failure (default 5 s; doubles up to 5 min). */
  retryBaseMs?: number;
  now?: () => Date;
}

export interface PxeServerController {
  idle(): Promise<void>;
  /** Stops reconciling; servers keep running (they are detached) and are adopted next time. */
  stop(): Promise<void>;
}

interface Local {
  uid: string;
  pod: PxeServerPod;
  proc?: DetachedProcess | undefined;
  specHash?: string;
  startedAt?: number;
  mac?: string;
  failure?: { reason: PxeReason; message: string };
  /** The spec hash the last failure happened with (a changed spec retries at once). */
  failedHash?: string;
  attempts: number;
  retryAt?: number;
  /** Exit found at adoption (the server ended while the daemon was away). */
  exitedAway?: DetachedExit;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Starts the controller: adopts running servers, removes orphans, then follows the store. */
export async function startPxeServerController(options: PxeServerControllerOptions): Promise<PxeServerController> {
  const { store, log } = options;
  const now = options.now ?? (() => new Date());
  const recorder = createEventRecorder({ store, host: options.nodeName, log, now });
  const podOptions: PxeServerPodOptions = {
    dataDir: options.dataDir,
    cni: options.cni,
    log,
    ...(options.netnsPrefix ? { netnsPrefix: options.netnsPrefix } : {}),
    ...(options.ipxeDir ? { ipxeDir: options.ipxeDir } : {}),
    ...(options.serveCommand ? { serveCommand: options.serveCommand } : {}),
  };
  const retryBase = options.retryBaseMs ?? 5000;
  const local = new Map<string, Local>();
  const uidByKey = new Map<string, string>();
  const aborter = new AbortController();
  let stopped = false;

  // The recorder's component type names KubeVirt's components; PXEServer events are ours.
  const record = (o: StoredObject, e: ControllerEvent) => recorder.record(o, e, 'pxeserver-controller' as 'virt-controller');

  const tryGet = (key: ResourceKey, ns: string, name: string): StoredObject | undefined => {
    try {
      return store.get(key, ns, name);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  };

  const mutateFinalizers = (ns: string, name: string, change: (list: string[]) => string[] | undefined): void => {
    for (let attempt = 0; ; attempt++) {
      const current = tryGet(PXESERVER_KEY, ns, name);
      if (!current) return;
      const next = change(current.metadata.finalizers ?? []);
      if (!next) return;
      const updated = structuredClone(current);
      if (next.length > 0) updated.metadata.finalizers = next;
      else delete updated.metadata.finalizers;
      try {
        store.update(PXESERVER_KEY, updated, { expectedResourceVersion: current.metadata.resourceVersion, preserveStatus: true });
        return;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 5) throw err;
      }
    }
  };

  /**
   * Writes status (on the freshest copy of the object, which this controller's own metadata
   * writes may have changed) when it differs from the stored one; false when it could not.
   */
  const writeStatus = (o: StoredObject, obs: PxeServerObservation): boolean => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = tryGet(PXESERVER_KEY, o.metadata.namespace ?? '', o.metadata.name);
      if (!current || current.metadata.uid !== o.metadata.uid) return false;
      const status = pxeServerStatus(current.status, obs, now());
      if (JSON.stringify(status) === JSON.stringify(current.status ?? {})) return true;
      try {
        store.update(PXESERVER_KEY, { ...current, status }, { subresource: 'status', expectedResourceVersion: current.metadata.resourceVersion });
        return true;
      } catch (err) {
        if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) throw err;
      }
    }
    return false;
  };

  const queue = createWorkQueue({
    log,
    process: async (key) => {
      const at = key.indexOf('/');
      await reconcile(key, key.slice(0, at), key.slice(at + 1));
    },
  });

  const localFor = (o: StoredObject): Local => {
    const spec = o.spec as PxeServerResourceSpec;
    const pod = pxeServerPod({ uid: o.metadata.uid, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name, ...(spec.interface ? { ifname: spec.interface } : {}) }, options);
    let st = local.get(o.metadata.uid);
    if (!st) {
      st = { uid: o.metadata.uid, pod, attempts: 0 };
      local.set(st.uid, st);
    }
    st.pod = pod;
    return st;
  };

  const teardown = async (st: Local): Promise<void> => {
    await teardownPod(st.pod, st.proc, podOptions);
    st.proc = undefined;
    local.delete(st.uid);
  };

  const observation = (o: StoredObject, st: Local, phase: PxeServerObservation['phase'], reason: PxeReason, message: string, server?: unknown): PxeServerObservation => {
    const spec = o.spec as PxeServerResourceSpec;
    const attached = phase === 'Running' || st.proc !== undefined;
    return {
      phase,
      reason,
      message,
      generation: o.metadata.generation,
      interface: st.pod.ifname,
      netns: st.pod.netns,
      ...(attached ? { address: spec.address } : {}),
      ...(attached && st.mac ? { mac: st.mac } : {}),
      ...(server === undefined ? {} : { server }),
    };
  };

  const fail = (key: string, o: StoredObject, st: Local, reason: PxeReason, message: string): void => {
    st.failure = { reason, message };
    st.failedHash = specHash(o.spec);
    st.attempts++;
    const delay = Math.min(retryBase * 2 ** (st.attempts - 1), 300_000);
    st.retryAt = Date.now() + delay;
    log.warn({ pxeserver: key, reason, err: message, retryInMs: delay }, 'PXE server not serving');
    record(o, { type: 'Warning', reason, message });
    writeStatus(o, observation(o, st, 'Failed', reason, message));
    queue.addAfter(key, delay);
  };

  const reconcile = async (key: string, ns: string, name: string): Promise<void> => {
    const o = tryGet(PXESERVER_KEY, ns, name);
    if (!o) {
      const uid = uidByKey.get(key);
      const st = uid ? local.get(uid) : undefined;
      uidByKey.delete(key);
      if (st) await teardown(st);
      return;
    }
    const previousUid = uidByKey.get(key);
    if (previousUid && previousUid !== o.metadata.uid) {
      const old = local.get(previousUid);
      if (old) await teardown(old);
    }
    uidByKey.set(key, o.metadata.uid);
    const st = localFor(o);

    if (o.metadata.deletionTimestamp) {
      writeStatus(o, observation(o, st, 'Terminating', PxeReason.Terminating, 'stopping the server and removing its pod'));
      await teardown(st);
      mutateFinalizers(ns, name, (list) => (list.includes(PXESERVER_FINALIZER) ? list.filter((f) => f !== PXESERVER_FINALIZER) : undefined));
      log.info({ pxeserver: key }, 'PXE server removed');
      return;
    }
    mutateFinalizers(ns, name, (list) => (list.includes(PXESERVER_FINALIZER) ? undefined : [...list, PXESERVER_FINALIZER]));

    const spec = o.spec as PxeServerResourceSpec;
    const hash = specHash(spec);
    if (st.proc && st.proc.state === 'running' && st.specHash !== hash) {
      log.info({ pxeserver: key }, 'spec changed: restarting the PXE server');
      await st.proc.stop(5000);
      st.proc = undefined;
      record(o, { type: 'Normal', reason: 'Restarting', message: 'the spec changed; restarting the PXE server' });
      st.attempts = 0;
      delete st.retryAt;
    }
    if (st.failedHash !== undefined && st.failedHash !== hash) {
      delete st.retryAt;
      st.attempts = 0;
    }
    const exit = st.proc?.state === 'exited' ? st.proc.exit : st.exitedAway;
    if (exit) {
      delete st.exitedAway;
      st.proc = undefined;
      // A server that ran a while before it ended starts a fresh backoff.
      if (st.startedAt !== undefined && Date.now() - st.startedAt > 60_000) st.attempts = 0;
      return fail(key, o, st, PxeReason.ServerExited, exit.reason);
    }

    if (!st.proc) {
      if (st.retryAt !== undefined && Date.now() < st.retryAt) {
        queue.addAfter(key, st.retryAt - Date.now());
        return;
      }
      if (!st.failure) writeStatus(o, observation(o, st, 'Pending', PxeReason.Starting, 'attaching to the network and starting the server'));
      const nad = nadRef(spec.network, ns);
      const [nadNs, nadName] = nad.split('/') as [string, string];
      if (!tryGet(NAD_KEY, nadNs, nadName)) return fail(key, o, st, PxeReason.NetworkNotFound, `NetworkAttachmentDefinition ${nad} not found (spec.network ${JSON.stringify(spec.network)})`);
      try {
        const { mac } = await attachNetwork(st.pod, spec, podOptions);
        if (mac !== undefined) st.mac = mac;
        const config = await serveConfig(st.pod, spec, podOptions);
        st.proc = await launchServer(st.pod, config, hash, { ...podOptions, signal: aborter.signal });
      } catch (err) {
        if (stopped) return;
        const reason = err instanceof PxeServerSetupError ? err.reason : PxeReason.ServerStartFailed;
        return fail(key, o, st, reason, errorText(err));
      }
      st.specHash = hash;
      st.startedAt = Date.now();
      delete st.failure;
      delete st.failedHash;
      delete st.retryAt;
      st.proc.onExit(() => queue.add(key));
      record(o, { type: 'Normal', reason: 'Started', message: `serving on ${spec.address} (${st.pod.ifname} on ${nad}, netns ${st.pod.netns})` });
      log.info({ pxeserver: key, netns: st.pod.netns, pid: st.proc.pid }, 'PXE server started');
    }

    const doc = await statusRequest(podFiles(st.pod.runDir).statusSocket).catch((err: unknown) => {
      log.debug({ pxeserver: key, err: errorText(err) }, 'status socket did not answer');
      return undefined;
    });
    const message = `serving ${spec.dhcp.mode === 'off' ? '' : `DHCP (${spec.dhcp.mode}), `}TFTP and HTTP on ${spec.address}`;
    if (!writeStatus(o, observation(o, st, 'Running', PxeReason.Serving, message, doc))) queue.add(key);
  };

  // Adopt what a previous daemon left, and remove pods whose object is gone.
  const listed = store.list(PXESERVER_KEY);
  const known = new Set(listed.items.map((o) => o.metadata.uid));
  let adopted = 0;
  for (const o of listed.items) {
    const st = localFor(o);
    const found = await adoptServer(st.pod, log);
    if (found.proc) {
      st.proc = found.proc;
      if (found.specHash !== undefined) st.specHash = found.specHash;
      st.startedAt = Date.now();
      const key = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      st.proc.onExit(() => queue.add(key));
      const saved = await readPodRecord(st.pod.runDir);
      if (saved?.mac) st.mac = saved.mac;
      adopted++;
    } else if (found.exit) st.exitedAway = found.exit;
  }
  const runRoot = join(options.dataDir, 'run', 'pxeserver');
  for (const uid of await readdir(runRoot).catch(() => [] as string[])) {
    if (known.has(uid)) continue;
    log.info({ uid }, 'removing the pod of a PXEServer that no longer exists');
    await teardownRunDir(join(runRoot, uid), podOptions).catch((err: unknown) => log.warn({ uid, err: errorText(err) }, 'could not remove an orphaned PXE server pod'));
  }
  log.info({ servers: adopted }, 'adopted running PXE servers');

  const onEvent = (e: WatchEvent): void => queue.add(`${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`);
  for (const o of listed.items) onEvent({ type: 'ADDED', object: o });
  const watchFrom = (rv: string): void => {
    try {
      store.watch(PXESERVER_KEY, { resourceVersion: rv }, onEvent, aborter.signal);
    } catch (err) {
      if (!(err instanceof GoneError) || stopped) throw err;
      const again = store.list(PXESERVER_KEY);
      for (const o of again.items) onEvent({ type: 'ADDED', object: o });
      watchFrom(again.resourceVersion);
    }
  };
  watchFrom(listed.resourceVersion);
  // A NAD created after its PXEServer: retry the ones waiting for it now.
  store.watch(
    NAD_KEY,
    { resourceVersion: store.currentResourceVersion() },
    () => {
      for (const [key, uid] of uidByKey) if (local.get(uid)?.failure?.reason === PxeReason.NetworkNotFound) (delete local.get(uid)!.retryAt, queue.add(key));
    },
    aborter.signal,
  );

  const poll = setInterval(() => {
    for (const [key, uid] of uidByKey) if (local.get(uid)?.proc) queue.add(key);
  }, options.pollMs ?? 3000);
  poll.unref();

  return {
    idle: () => queue.idle(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(poll);
      aborter.abort();
      await queue.stop();
      for (const st of local.values()) st.proc?.detach();
    },
  };
}
