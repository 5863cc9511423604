// The port the PXEServer controller drives its pods through (like the VMI's NetworkAttacher):
// everything that touches the node — netns, CNI, address, image downloads, the detached
// `pxe serve`, its status socket — is behind it, so the controller is a store loop around a
// pure reconciler and tests can stand in for the node.
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PxeServerResourceSpec } from '../resources/pxe-server-kind.ts';
import { detachedFiles, isProcessOf, type DetachedProcess, type ExitRecord } from './detached-process.ts';
import type { PxeVm } from '../resources/pxe-server.ts';
import { replaceVmsRequest, reprovisionRequest, statusRequest } from './pxe-status-client.ts';
import { adoptServer, attachNetwork, launchServer, podFiles, pxeServerPod, readPodRecord, SERVE_NAME, serveConfig, teardownPod, teardownRunDir, type PxeServerPod, type PxeServerPodOptions } from './pxeserver-pod.ts';

/** The running server as the controller sees it (a DetachedProcess on a real node). */
export type PxeServerProcess = Pick<DetachedProcess, 'pid' | 'state' | 'exit' | 'onExit' | 'stop' | 'detach'>;

export interface PxeServerHost {
  /** Where a PXEServer's pod lives (pure). */
  pod(object: { uid: string; namespace: string; name: string; ifname?: string }): PxeServerPod;
  /** Netns, NAD attachment, address, image downloads, then the server; resolves once it answers. */
  start(pod: PxeServerPod, server: PxeServerResourceSpec, specHash: string, signal: AbortSignal): Promise<{ proc: PxeServerProcess; mac?: string }>;
  /** The server a previous daemon left for this pod: running, or how it ended. */
  adopt(pod: PxeServerPod): Promise<{ proc?: PxeServerProcess; exit?: ExitRecord; specHash?: string; mac?: string }>;
  /** The server's /status document. */
  status(pod: PxeServerPod): Promise<unknown>;
  /** Sends a host provisioned before `provisionedBefore` back to install; true when it changed. */
  reprovision(pod: PxeServerPod, mac: string, provisionedBefore: string): Promise<boolean>;
  /** Replaces the running server's VM inventory (what vmSelector / vmName entries choose from). */
  replaceVms(pod: PxeServerPod, vms: readonly PxeVm[]): Promise<void>;
  /** Stops the server and removes everything the pod had on the node. */
  teardown(pod: PxeServerPod, proc: PxeServerProcess | undefined): Promise<void>;
  /**
   * Removes this store's pods whose PXEServer is not among `known` (uids); returns the uids
   * removed. Another store's pod (or one whose store is not recorded) is never removed: left alone
   * while its server runs, its run dir moved to <data-dir>/run/quarantine/pxeserver/ otherwise.
   */
  removeOrphans(known: ReadonlySet<string>): Promise<string[]>;
}

/** The host on this node. */
export function createPxeServerHost(o: PxeServerPodOptions): PxeServerHost {
  return {
    pod: (object) => pxeServerPod(object, o),
    start: async (pod, server, hash, signal) => {
      const { mac } = await attachNetwork(pod, server, { ...o, signal });
      const config = await serveConfig(pod, server, { ...o, signal });
      const proc = await launchServer(pod, config, hash, { ...o, signal });
      return mac === undefined ? { proc } : { proc, mac };
    },
    adopt: async (pod) => {
      const found = await adoptServer(pod, o.log, o.storeId);
      const mac = (await readPodRecord(pod.runDir))?.mac;
      return mac === undefined ? found : { ...found, mac };
    },
    status: (pod) => statusRequest(podFiles(pod.runDir).statusSocket),
    reprovision: async (pod, mac, before) => (await reprovisionRequest(podFiles(pod.runDir).statusSocket, mac, before)).changed,
    replaceVms: async (pod, vms) => void (await replaceVmsRequest(podFiles(pod.runDir).statusSocket, vms)),
    teardown: (pod, proc) => teardownPod(pod, proc, o),
    removeOrphans: async (known) => {
      const runRoot = join(o.dataDir, 'run', 'pxeserver');
      const removed: string[] = [];
      for (const uid of await readdir(runRoot).catch(() => [] as string[])) {
        if (known.has(uid)) continue;
        const runDir = join(runRoot, uid);
        const owner = (await readPodRecord(runDir))?.storeId;
        if (o.storeId !== undefined && owner !== o.storeId) {
          await quarantine(uid, runDir, owner, o);
          continue;
        }
        o.log.info({ uid }, 'removing the pod of a PXEServer that no longer exists');
        await teardownRunDir(runDir, o).then(
          () => removed.push(uid),
          (err: unknown) => o.log.warn({ uid, err: err instanceof Error ? err.message : String(err) }, 'could not remove an orphaned PXE server pod'),
        );
      }
      return removed;
    },
  };
}

/** Leaves another store's pod alone; moves its run dir aside once its server no longer runs (its netns is left as it is). */
async function quarantine(uid: string, runDir: string, owner: string | undefined, o: PxeServerPodOptions): Promise<void> {
  const pid = Number((await readFile(detachedFiles(runDir, SERVE_NAME).pidfile, 'utf8').catch(() => '')).trim());
  if (pid > 0 && isProcessOf(pid, runDir)) {
    o.log.warn({ uid, runDir, pid, owner: owner ?? 'unknown' }, 'a PXE server of another store is running here: left alone (not adopted, not stopped)');
    return;
  }
  const to = join(o.dataDir, 'run', 'quarantine', 'pxeserver', uid);
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  await rename(runDir, to).then(
    () => o.log.warn({ uid, from: runDir, to, owner: owner ?? 'unknown' }, 'the run dir of another store\'s PXE server pod was moved aside (nothing deleted)'),
    (err: unknown) => o.log.warn({ uid, runDir, err: String(err) }, 'cannot move another store\'s PXE server run dir aside'),
  );
}
