// The PXEServer controller: for each PXEServer, a pod (netns attached to the NAD, the spec's
// address) running `pxevirt pxe serve` detached; status refreshed from the server's status
// socket every few seconds and written only when it changed. Servers outlive the daemon and
// are adopted on start; delete stops the server and removes everything it had on the node.
import { servedAddresses } from '../resources/pxe-server-ipv6.ts';
import { pendingReprovisions, reprovisionRequests } from '../resources/pxe-reprovision.ts';
import { isObject } from '../lib/is-object.ts';
import type { Logger } from '../lib/logger.ts';
import type { CniManager } from '../network/cni/types.ts';
import type { PxeServerResourceSpec } from '../resources/pxe-server-kind.ts';
import type { PxeVm } from '../resources/pxe-server.ts';
import { hostVmMatches, selectsVms, vmOnNetwork, type VmObject } from '../resources/pxe-vms.ts';
import type { ExitRecord } from '../runtime/detached-process.ts';
import { createPxeServerHost, type PxeServerHost, type PxeServerProcess } from '../runtime/pxeserver-host.ts';
import type { RunAsUser } from '../runtime/run-as.ts';
import { nadRef, PxeServerSetupError, specHash, type PxeServerPod, type PxeServerPodOptions } from '../runtime/pxeserver-pod.ts';
import type { ObjectStore, ResourceKey, StoredObject, WatchEvent } from '../store/types.ts';
import { createEventRecorder } from './events.ts';
import { bmcActions } from './pxe-bmc-actions.ts';
import { inform } from './informer.ts';
import { addFinalizer, getOrNone, removeFinalizer, updateStatus, updateWithRetry } from './object-client.ts';
import type { Controllers, ControllerEvent } from './reconciler.ts';
import { leasesRecoveredEvent, PxeReason, pxeServerStatus, type PxeServerObservation } from './pxeserver-status.ts';
import { pxeServerStarted, pxeServerStartFailed, reconcilePxeServer, type PxeServerBook, type PxeServerResult } from './pxeserver-reconcile.ts';
import { createWorkQueue } from './work-queue.ts';

export const PXESERVER_KEY: ResourceKey = { group: 'pxe.pxevirt.io', resource: 'pxeservers' };
export const NAD_KEY: ResourceKey = { group: 'k8s.cni.cncf.io', resource: 'network-attachment-definitions' };
const EVENTS_KEY: ResourceKey = { group: '', resource: 'events' };
const VM_KINDS: readonly ResourceKey[] = [
  { group: 'kubevirt.io', resource: 'virtualmachines' },
  { group: 'kubevirt.io', resource: 'virtualmachineinstances' },
];
/** Kept on a PXEServer until its server and pod are gone from the node. */
export const PXESERVER_FINALIZER = 'pxe.pxevirt.io/pxeserver-cleanup';

export interface PxeServerControllerOptions {
  store: ObjectStore;
  /** The node's CNI manager (for the default host; not needed with `host`). */
  cni?: CniManager;
  dataDir: string;
  nodeName: string;
  log: Logger;
  /** Prefix of the pods' netns names (default `pxs-`). */
  netnsPrefix?: string;
  /** The iPXE binaries' directory (the daemon's pxeIpxeDir; default /usr/lib/ipxe). */
  ipxeDir?: string;
  /** The user `pxe serve` becomes after binding (the daemon's pxeUser); absent: root. */
  user?: RunAsUser;
  /** argv of `pxevirt pxe serve` before its options (tests). */
  serveCommand?: readonly string[];
  /** How often running servers' status is read (default 3 s). */
  pollMs?: number;
  /** First restart delay after a failure (default 5 s; doubles up to 5 min). */
  retryBaseMs?: number;
  now?: () => Date;
  /** The node side (default: this node's, through `cni`). */
  host?: PxeServerHost;
}

/** Stopping it leaves servers running (they are detached); they are adopted next time. */
export type PxeServerController = Controllers;

interface Local {
  uid: string;
  pod: PxeServerPod;
  proc?: PxeServerProcess | undefined;
  mac?: string;
  /** Exit found at adoption (the server ended while the daemon was away). */
  exitedAway?: ExitRecord;
  book: PxeServerBook;
  /** The VM inventory the running server has (JSON), so a change is sent once. */
  sentVms?: string;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Starts the controller: adopts running servers, removes orphans, then follows the store. */
export async function startPxeServerController(options: PxeServerControllerOptions): Promise<PxeServerController> {
  const { store, log } = options;
  const now = options.now ?? (() => new Date());
  const recorder = createEventRecorder({ store, host: options.nodeName, log, now });
  const hostOf = (cni: CniManager): PxeServerHost => {
    const podOptions: PxeServerPodOptions = {
      dataDir: options.dataDir,
      cni,
      log,
      ...(options.netnsPrefix ? { netnsPrefix: options.netnsPrefix } : {}),
      ...(options.ipxeDir ? { ipxeDir: options.ipxeDir } : {}),
      ...(options.serveCommand ? { serveCommand: options.serveCommand } : {}),
      ...(options.user ? { user: options.user } : {}),
      storeId: store.identity(),
    };
    return createPxeServerHost(podOptions);
  };
  if (!options.host && !options.cni) throw new Error('PXEServer controller: expected options.host or options.cni, found neither');
  const host = options.host ?? hostOf(options.cni as CniManager);
  const reconcileOptions = { retryBaseMs: options.retryBaseMs ?? 5000 };
  const local = new Map<string, Local>();
  const uidByKey = new Map<string, string>();
  const aborter = new AbortController();
  let stopped = false;

  // The recorder's component type names KubeVirt's components; PXEServer events are ours.
  const record = (o: StoredObject, e: ControllerEvent) => recorder.record(o, e, 'pxeserver-controller' as 'virt-controller');
  const keyOf = (o: StoredObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

  /** The VMs and VMIs on a NAD. */
  const vmsOn = (nad: string): PxeVm[] => {
    const out: PxeVm[] = [];
    for (const kind of VM_KINDS) for (const o of store.list(kind).items) {
      const vm = vmOnNetwork(o as VmObject, nad);
      if (vm) out.push(vm);
    }
    return out.sort((a, b) => `${a.kind}/${a.namespace}/${a.name}`.localeCompare(`${b.kind}/${b.namespace}/${b.name}`));
  };
  /** The VMs and VMIs on the server's NAD, when a host entry selects by VM (else none: nothing to send). */
  const vmInventory = (spec: PxeServerResourceSpec, nad: string): PxeVm[] => ((spec.hosts ?? []).some((h) => selectsVms(h.selector)) ? vmsOn(nad) : []);

  /** The BMC actions on the VMs on this NAD, when the server's document has timelines to put them in. */
  const bmcOnNetwork = (server: unknown, nad: string) => {
    if (!isObject(server) || !isObject(server.timelines) || Object.keys(server.timelines).length === 0) return undefined;
    const vms = vmsOn(nad);
    return vms.length === 0 ? undefined : bmcActions(store.list(EVENTS_KEY).items, vms);
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
    const pod = host.pod({ uid: o.metadata.uid, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name, ...(spec.interface ? { ifname: spec.interface } : {}) });
    let st = local.get(o.metadata.uid);
    if (!st) {
      st = { uid: o.metadata.uid, pod, book: { attempts: 0 } };
      local.set(st.uid, st);
    }
    st.pod = pod;
    return st;
  };

  const teardown = async (st: Local): Promise<void> => {
    await host.teardown(st.pod, st.proc);
    st.proc = undefined;
    local.delete(st.uid);
  };

  /** Writes the decided status (with the pod's facts and the server's document) when it changed. */
  const writeStatus = (o: StoredObject, st: Local, decided: NonNullable<PxeServerResult['status']>, server?: unknown): boolean => {
    const spec = o.spec as PxeServerResourceSpec;
    const attached = decided.phase === 'Running' || st.proc !== undefined;
    const obs: PxeServerObservation = {
      ...decided,
      generation: o.metadata.generation,
      interface: st.pod.ifname,
      netns: st.pod.netns,
      ...(attached ? { address: servedAddresses(spec) } : {}),
      ...(attached && st.mac ? { mac: st.mac } : {}),
      ...(server === undefined ? {} : { server, bmc: bmcOnNetwork(server, nadRef(spec.network, o.metadata.namespace ?? 'default')) }),
      vmMatches: hostVmMatches(spec.hosts ?? [], vmInventory(spec, nadRef(spec.network, o.metadata.namespace ?? 'default'))),
    };
    return updateStatus(store, PXESERVER_KEY, o, (current) => pxeServerStatus(current.status, obs, now()));
  };

  /** Records a decision's events and status, and schedules its requeue. */
  const report = (key: string, o: StoredObject, st: Local, r: PxeServerResult): void => {
    st.book = r.book;
    for (const e of r.events) record(o, e);
    if (r.status?.phase === 'Failed') log.warn({ pxeserver: key, reason: r.status.reason, err: r.status.message, retryInMs: r.requeueAfter }, 'PXE server not serving');
    if (r.status && r.status.phase !== 'Running') writeStatus(o, st, r.status);
    if (r.requeueAfter !== undefined) queue.addAfter(key, r.requeueAfter);
  };

  const reconcile = async (key: string, ns: string, name: string): Promise<void> => {
    const o = getOrNone(store, PXESERVER_KEY, ns, name);
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
    const spec = o.spec as PxeServerResourceSpec;
    const nad = nadRef(spec.network, ns);
    const vms = vmInventory(spec, nad);
    const vmMatches = hostVmMatches(spec.hosts ?? [], vms);
    const [nadNs, nadName] = nad.split('/') as [string, string];
    const hash = specHash(spec);
    const exit = st.proc?.state === 'exited' ? st.proc.exit : st.exitedAway;
    const r = reconcilePxeServer(
      {
        specHash: hash,
        deleting: o.metadata.deletionTimestamp !== undefined,
        hasFinalizer: (o.metadata.finalizers ?? []).includes(PXESERVER_FINALIZER),
        nadExists: getOrNone(store, NAD_KEY, nadNs, nadName) !== undefined,
        nad,
        network: spec.network,
        servingMessage: `serving ${spec.dhcp.mode === 'off' ? '' : `DHCP (${spec.dhcp.mode}), `}TFTP and HTTP on ${servedAddresses(spec)}`,
      },
      { server: exit ? 'exited' : st.proc ? 'running' : 'none', ...(exit ? { exit } : {}), book: st.book },
      now(),
      reconcileOptions,
    );
    report(key, o, st, r);
    for (const action of r.actions) {
      switch (action.type) {
        case 'teardown':
          await teardown(st);
          updateWithRetry(store, PXESERVER_KEY, ns, name, removeFinalizer(PXESERVER_FINALIZER), { preserveStatus: true });
          log.info({ pxeserver: key }, 'PXE server removed');
          break;
        case 'addFinalizer':
          updateWithRetry(store, PXESERVER_KEY, ns, name, addFinalizer(PXESERVER_FINALIZER), { preserveStatus: true });
          break;
        case 'stop':
          log.info({ pxeserver: key }, 'spec changed: restarting the PXE server');
          await st.proc?.stop(5000);
          st.proc = undefined;
          break;
        case 'forgetExit':
          st.proc = undefined;
          delete st.exitedAway;
          break;
        case 'start':
          try {
            const started = await host.start(st.pod, { ...spec, vms }, hash, aborter.signal);
            st.sentVms = JSON.stringify(vms);
            st.proc = started.proc;
            if (started.mac !== undefined) st.mac = started.mac;
          } catch (err) {
            if (stopped) return;
            const reason = err instanceof PxeServerSetupError ? err.reason : PxeReason.ServerStartFailed;
            return report(key, o, st, pxeServerStartFailed(st.book, reason, errorText(err), hash, now(), reconcileOptions));
          }
          st.book = pxeServerStarted(st.book, hash, now());
          st.proc.onExit(() => queue.add(key));
          record(o, { type: 'Normal', reason: 'Started', message: `serving on ${servedAddresses(spec)} (${st.pod.ifname} on ${nad}, netns ${st.pod.netns})` });
          log.info({ pxeserver: key, netns: st.pod.netns, pid: st.proc.pid }, 'PXE server started');
          // Running now: the next reconcile reads its status.
          queue.add(key);
          break;
        case 'readStatus': {
          const read = () =>
            host.status(st.pod).catch((err: unknown) => {
              log.debug({ pxeserver: key, err: errorText(err) }, 'status socket did not answer');
              return undefined;
            });
          const vmsJson = JSON.stringify(vms);
          if (st.sentVms !== vmsJson) {
            await host.replaceVms(st.pod, vms).then(
              () => {
                st.sentVms = vmsJson;
                log.info({ pxeserver: key, vms: vms.length, matches: vmMatches }, 'VM inventory sent to the PXE server');
              },
              (err: unknown) => log.warn({ pxeserver: key, err: errorText(err) }, 'could not send the VM inventory; retrying on the next status read'),
            );
          }
          let doc = await read();
          // Reprovision annotations that still apply (the host was provisioned before them) go to the server.
          const pending = pendingReprovisions(reprovisionRequests(o.metadata.annotations), isObject(doc) ? doc.hosts : undefined);
          let sent = 0;
          for (const r of pending) {
            const changed = await host.reprovision(st.pod, r.mac, r.before).catch((err: unknown) => (log.warn({ pxeserver: key, mac: r.mac, err: errorText(err) }, 'reprovision failed'), false));
            if (changed) {
              sent++;
              record(o, { type: 'Normal', reason: 'Reprovision', message: `${r.mac} sent back to install (requested ${r.before})` });
            }
          }
          if (sent > 0) doc = await read();
          const recovered = leasesRecoveredEvent(o.status, doc);
          if (recovered) record(o, recovered);
          if (r.status && !writeStatus(o, st, r.status, doc)) queue.add(key);
          break;
        }
      }
    }
  };

  // Adopt what a previous daemon left, and remove pods whose object is gone.
  const listed = store.list(PXESERVER_KEY);
  let adopted = 0;
  for (const o of listed.items) {
    const st = localFor(o);
    const found = await host.adopt(st.pod);
    if (found.proc) {
      st.proc = found.proc;
      st.book = { ...st.book, ...(found.specHash === undefined ? {} : { runningHash: found.specHash }), startedAt: now().getTime() };
      const key = keyOf(o);
      st.proc.onExit(() => queue.add(key));
      if (found.mac) st.mac = found.mac;
      adopted++;
    } else if (found.exit) st.exitedAway = found.exit;
  }
  await host.removeOrphans(new Set(listed.items.map((o) => o.metadata.uid)));
  log.info({ servers: adopted }, 'adopted running PXE servers');

  inform(store, PXESERVER_KEY, (e: WatchEvent) => queue.add(keyOf(e.object)), aborter.signal);
  // A VM or VMI came, went or changed (labels, MACs): servers that select by VM look again.
  for (const kind of VM_KINDS) {
    store.watch(
      kind,
      { resourceVersion: store.currentResourceVersion() },
      () => {
        for (const key of uidByKey.keys()) {
          const at = key.indexOf('/');
          const o = getOrNone(store, PXESERVER_KEY, key.slice(0, at), key.slice(at + 1));
          if (o && ((o.spec as PxeServerResourceSpec).hosts ?? []).some((h) => selectsVms(h.selector))) queue.add(key);
        }
      },
      aborter.signal,
    );
  }
  // A NAD created after its PXEServer: retry the ones waiting for it now.
  store.watch(
    NAD_KEY,
    { resourceVersion: store.currentResourceVersion() },
    () => {
      for (const [key, uid] of uidByKey) {
        const st = local.get(uid);
        if (st?.book.failure?.reason !== PxeReason.NetworkNotFound) continue;
        delete st.book.retryAt;
        queue.add(key);
      }
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
