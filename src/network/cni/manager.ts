// CNI for pods the way Multus does it: resolve every network first (NAD lookup, config
// expansion, plugin lookup), then ADD them in order, each conflist plugin by plugin with
// prevResult; any failure DELs what was added in reverse. Each network's resolved config
// and result are cached on disk so DEL needs neither the NAD nor this process's memory.
import { join } from 'node:path';
import type { Logger } from '../../lib/logger.ts';
import { normalizeMac } from '../../lib/mac.ts';
import { checkPod, cniArgs, pluginEnv, type CniCommand } from './args.ts';
import { createCniCache, type CacheEntry } from './cache.ts';
import { bridgeNames, expandNetworkConfig, parseNetworkName, pluginBinary, pluginStdin, requiredBinaries, type NetworkConfigList } from './config.ts';
import {
  CniConfigError,
  CniPluginError,
  CniPluginTimeoutError,
  CniTeardownError,
  InvalidAttachmentError,
  NadNotFoundError,
  PluginNotFoundError,
  PodAlreadyAttachedError,
} from './errors.ts';
import { execPlugin, findPlugin, type PluginRunner } from './exec.ts';
import { createBridgeRegistry, nodeHost, type CniHost } from './node-bridges.ts';
import { attachmentResult, parseCniError, parseCniResult } from './result.ts';
import type { CniAttachment, CniAttachmentResult, CniManager, CniPod, CniResult } from './types.ts';

export const DEFAULT_PLUGIN_DIRS: readonly string[] = ['/usr/lib/cni'];
/** The name a default network config without `name` gets. */
export const DEFAULT_NETWORK_NAME = 'pxevirt-pod-network';

export interface CniManagerOptions {
  /** Where plugin binaries are looked up, in order (CNI_PATH). Default /usr/lib/cni. */
  pluginDirs?: readonly string[];
  /** Results and delegate configs, e.g. <data-dir>/cni/cache. */
  cacheDir: string;
  /** A NAD's spec.config; undefined when the NAD does not exist. */
  resolveNad(namespace: string, name: string): string | undefined;
  /** The pod network's config or conflist, for attachments without networkName. */
  defaultNetwork?: object;
  log: Logger;
  /** Runs a plugin binary (tests inject one); default spawns it in this process's namespace. */
  runPlugin?: PluginRunner;
  /** Deadline for one plugin invocation. Default 120 s (a loaded machine is slow). */
  pluginTimeoutMs?: number;
  /** Node operations (bridge bookkeeping, netns existence); tests inject one. */
  host?: CniHost;
  /** The dir a NAD's `ipam.dataDir` must be inside (pxevirt's data dir); without it none is allowed. */
  ipamDataRoot?: string;
  /** Delete bridges the bridge plugin created once no port is left (default true). */
  removeCreatedBridges?: boolean;
}

interface Resolved {
  attachment: CniAttachment;
  networkName: string;
  isDefault: boolean;
  config: NetworkConfigList;
}

const IFNAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,14}$/;

/** Creates the CNI manager (one per daemon; operations are serialised). */
export function createCniManager(options: CniManagerOptions): CniManager {
  const dirs = options.pluginDirs ?? DEFAULT_PLUGIN_DIRS;
  const runPlugin = options.runPlugin ?? execPlugin;
  const host = options.host ?? nodeHost;
  const timeoutMs = options.pluginTimeoutMs ?? 120_000;
  const removeBridges = options.removeCreatedBridges ?? true;
  const cache = createCniCache(options.cacheDir);
  const bridges = createBridgeRegistry(join(options.cacheDir, 'created-bridges.json'));
  const log = options.log;

  // One operation at a time: the bridge sweep must not race an ADD onto a bridge it deletes.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  function checkAttachments(attachments: readonly CniAttachment[]): void {
    const seen = new Set<string>();
    let defaults = 0;
    attachments.forEach((a, i) => {
      if (!IFNAME.test(a.ifname)) throw new InvalidAttachmentError(`attachments[${i}].ifname`, 'an interface name of 1–15 letters, digits, "_", "." or "-"', JSON.stringify(a.ifname));
      if (seen.has(a.ifname)) throw new InvalidAttachmentError(`attachments[${i}].ifname`, 'a name not used by another attachment', JSON.stringify(a.ifname));
      seen.add(a.ifname);
      if (a.mac !== undefined && normalizeMac(a.mac) === undefined) throw new InvalidAttachmentError(`attachments[${i}].mac`, 'a MAC address like de:00:00:00:00:de', JSON.stringify(a.mac));
      if (a.networkName === undefined && ++defaults > 1) throw new InvalidAttachmentError(`attachments[${i}].networkName`, 'at most one attachment to the pod network (no networkName)', 'a second one');
    });
  }

  function resolve(pod: CniPod, attachment: CniAttachment): Resolved {
    if (attachment.networkName === undefined) {
      if (options.defaultNetwork === undefined) {
        throw new CniConfigError(attachment.network, 'pod network', 'defaultNetwork', 'a default pod network configured on the node', 'none');
      }
      // The node's own config (the administrator's): its ipam.dataDir is trusted.
      const config = expandNetworkConfig(options.defaultNetwork, DEFAULT_NETWORK_NAME, { network: attachment.network, networkName: 'pod network' }, { ipamDataRoot: '/' });
      return { attachment, networkName: config.name, isDefault: true, config };
    }
    const { namespace, name } = parseNetworkName(attachment.networkName, pod.namespace);
    const networkName = `${namespace}/${name}`;
    const text = options.resolveNad(namespace, name);
    if (text === undefined) throw new NadNotFoundError(attachment.network, namespace, name);
    const config = expandNetworkConfig(text, name, { network: attachment.network, networkName }, options.ipamDataRoot === undefined ? {} : { ipamDataRoot: options.ipamDataRoot });
    return { attachment, networkName, isDefault: false, config };
  }

  async function checkBinaries(r: Resolved): Promise<void> {
    for (const { plugin, binary } of requiredBinaries(r.config)) {
      if ((await findPlugin(binary, dirs)) === undefined) throw new PluginNotFoundError(r.attachment.network, r.networkName, plugin, binary, dirs);
    }
  }

  /** Runs one plugin of a cached network; returns the result on ADD. */
  async function invoke(command: CniCommand, entry: CacheEntry, index: number, prevResult: CniResult | undefined, signal?: AbortSignal): Promise<CniResult | undefined> {
    const plugin = entry.config.plugins[index];
    if (!plugin) throw new RangeError(`plugin index ${index} out of range`);
    const binary = pluginBinary(plugin.type);
    const path = await findPlugin(binary, dirs);
    if (path === undefined) throw new PluginNotFoundError(entry.network, entry.networkName, plugin.type, binary, dirs);
    // On DEL a vanished netns is passed as "" (as runtimes do); plugins then release only IPAM.
    const netnsGone = command === 'DEL' && !(await host.netnsExists(entry.pod.netns));
    const netnsPath = netnsGone ? '' : `/run/netns/${entry.pod.netns}`;
    const env = pluginEnv({ command, containerId: entry.pod.containerId, netnsPath, ifname: entry.ifname, args: entry.cniArgs, pluginDirs: dirs });
    const stdin = JSON.stringify(pluginStdin(entry.config, index, { ...(entry.mac === undefined ? {} : { capabilityArgs: { mac: entry.mac } }), ...(prevResult === undefined ? {} : { prevResult }) }));
    log.debug({ network: entry.network, networkName: entry.networkName, plugin: plugin.type, command, ifname: entry.ifname, containerId: entry.pod.containerId }, 'CNI plugin');
    const out = await runPlugin({ plugin: plugin.type, binary, path, env, stdin, timeoutMs, ...(signal === undefined ? {} : { signal }) });
    if (out.timedOut) throw new CniPluginTimeoutError(entry.network, entry.networkName, plugin.type, command, timeoutMs);
    const fail = (code: number | undefined, msg: string, details?: string) => new CniPluginError(entry.network, entry.networkName, plugin.type, binary, command, code, msg, details, out.stderr);
    if (out.exitCode !== 0) {
      const cniErr = parseCniError(out.stdout);
      const fallback = out.stderr.trim() || out.stdout.trim() || `exited with ${out.exitCode === null ? 'a signal' : `code ${out.exitCode}`} and no message`;
      throw fail(cniErr?.code, cniErr?.msg ?? fallback, cniErr?.details);
    }
    if (command === 'DEL') return undefined;
    const result = parseCniResult(out.stdout);
    if (!result) throw fail(undefined, `printed no CNI result (expected a JSON object on stdout, found ${JSON.stringify(out.stdout.trim().slice(0, 200))})`);
    return result;
  }

  /** DELs plugins `from`…0 in reverse; tries each one and returns the failures. */
  async function delChain(entry: CacheEntry, from: number, prevResult: CniResult | undefined): Promise<Error[]> {
    const errors: Error[] = [];
    if (!(await host.netnsExists(entry.pod.netns))) {
      log.warn({ network: entry.network, netns: entry.pod.netns, containerId: entry.pod.containerId }, 'pod netns gone before CNI DEL: plugins release IPAM only (the bridge plugin cannot find its masquerade rules then)');
    }
    for (let i = from; i >= 0; i--) {
      try {
        await invoke('DEL', entry, i, prevResult);
      } catch (err) {
        errors.push(err as Error);
      }
    }
    return errors;
  }

  async function existingBridges(config: NetworkConfigList): Promise<Set<string>> {
    const out = new Set<string>();
    for (const b of bridgeNames(config)) if (await host.linkExists(b)) out.add(b);
    return out;
  }

  /** ADDs one network plugin by plugin; on failure DELs plugins up to the failing one and throws. */
  async function addNetwork(entry: CacheEntry, signal?: AbortSignal): Promise<CniResult> {
    const before = removeBridges ? await existingBridges(entry.config) : new Set<string>();
    let prev: CniResult | undefined;
    try {
      // The last plugin that was started (-1: none); a failed list's teardown includes the
      // plugin that failed, as libcni's does.
      let started = -1;
      try {
        for (let i = 0; i < entry.config.plugins.length; i++) {
          signal?.throwIfAborted();
          started = i;
          prev = await invoke('ADD', entry, i, prev, signal);
          entry.added = i + 1;
        }
      } catch (err) {
        const rollback = started >= 0 ? await delChain(entry, started, prev) : [];
        if (rollback.length === 0) await cache.remove(entry);
        else log.warn({ network: entry.network, containerId: entry.pod.containerId, errors: rollback.map((e) => e.message) }, 'CNI DEL after a failed ADD failed; kept in the cache for the next DEL');
        throw err;
      }
      if (prev === undefined) throw new RangeError('a network without plugins');
      entry.result = prev;
      await cache.write(entry);
      return prev;
    } finally {
      if (removeBridges) {
        // Also after a failed ADD: the bridge plugin makes its bridge before anything can fail.
        const after = await existingBridges(entry.config);
        await bridges.add([...after].filter((b) => !before.has(b))).catch((err: unknown) => log.warn({ err: String(err) }, 'cannot record the bridges CNI created'));
      }
    }
  }

  async function sweepBridges(): Promise<void> {
    if (!removeBridges) return;
    const { deleted, errors } = await bridges.sweep(host);
    if (deleted.length > 0) log.info({ bridges: deleted }, 'deleted bridges CNI created that have no port left');
    for (const err of errors) log.warn({ err: err.message }, 'could not delete an unused bridge');
  }

  async function add(pod: CniPod, attachments: readonly CniAttachment[], addOptions: { signal?: AbortSignal } = {}): Promise<CniAttachmentResult[]> {
    checkPod(pod);
    checkAttachments(attachments);
    const { signal } = addOptions;
    return serial(async () => {
      signal?.throwIfAborted();
      const existing = await cache.list(pod.containerId);
      if (existing.entries.length > 0 || existing.failures.length > 0) {
        throw new PodAlreadyAttachedError(pod.containerId, [...existing.entries.map((e) => `${e.network}:${e.ifname}`), ...existing.failures.map((f) => f.path)]);
      }
      // Everything that can be checked without touching the node is, before the first ADD.
      const resolved = attachments.map((a) => resolve(pod, a));
      for (const r of resolved) await checkBinaries(r);

      const done: CacheEntry[] = [];
      const results: CniAttachmentResult[] = [];
      try {
        for (const [index, r] of resolved.entries()) {
          const mac = r.attachment.mac === undefined ? undefined : normalizeMac(r.attachment.mac);
          const entry: CacheEntry = {
            kind: 'pxevirt-cni-cache/v1',
            pod: { ...pod },
            index,
            network: r.attachment.network,
            ifname: r.attachment.ifname,
            networkName: r.networkName,
            default: r.isDefault,
            ...(mac === undefined ? {} : { mac }),
            config: r.config,
            cniArgs: cniArgs(pod, mac),
            added: 0,
          };
          // Cached before the first plugin runs: a daemon killed mid-ADD can still DEL it.
          await cache.write(entry);
          const result = await addNetwork(entry, signal);
          done.push(entry);
          results.push(attachmentResult(r.attachment, r.networkName, r.isDefault, result));
          log.info({ containerId: pod.containerId, network: entry.network, networkName: entry.networkName, ifname: entry.ifname, mac: results.at(-1)?.mac, ips: results.at(-1)?.ips }, 'CNI network added');
        }
      } catch (err) {
        for (const entry of done.reverse()) {
          const errors = await delChain(entry, entry.config.plugins.length - 1, entry.result);
          if (errors.length === 0) await cache.remove(entry);
          else log.warn({ network: entry.network, containerId: pod.containerId, errors: errors.map((e) => e.message) }, 'CNI DEL after a failed ADD failed; kept in the cache for the next DEL');
        }
        // Bookkeeping failures must not hide the ADD's own error.
        await sweepBridges().catch((e: unknown) => log.warn({ err: String(e) }, 'bridge sweep after a failed ADD failed'));
        await cache.prune(pod.containerId).catch(() => undefined);
        throw err;
      }
      return results;
    });
  }

  async function del(pod: CniPod): Promise<void> {
    checkPod(pod);
    return serial(async () => {
      const { entries, failures } = await cache.list(pod.containerId);
      const errors: Error[] = [];
      for (const f of failures) {
        // Nothing can be deleted from an unreadable entry; report it once and let it go.
        errors.push(f.error);
        await cache.removeFile(f.path);
      }
      for (const entry of [...entries].reverse()) {
        const errs = await delChain(entry, entry.config.plugins.length - 1, entry.result);
        if (errs.length === 0) {
          await cache.remove(entry);
          log.info({ containerId: pod.containerId, network: entry.network, networkName: entry.networkName, ifname: entry.ifname }, 'CNI network deleted');
        } else errors.push(...errs);
      }
      await sweepBridges();
      await cache.prune(pod.containerId);
      if (errors.length > 0) throw new CniTeardownError(pod.containerId, errors);
    });
  }

  return { add, del };
}
