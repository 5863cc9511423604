// Pure CNI config handling the way Multus and libcni do it: NAD names, single config vs
// conflist, name defaulting, plugin aliases, and the stdin each plugin gets.
import { isAbsolute, normalize } from 'node:path';
import { CniConfigError, InvalidAttachmentError, type CniWhere } from './errors.ts';
import type { CniResult } from './types.ts';
import { isObject } from '../../lib/is-object.ts';

/** OpenShift's plugin names that are copies of upstream binaries. */
export const PLUGIN_ALIASES: Readonly<Record<string, string>> = { 'cnv-bridge': 'bridge', 'cnv-tuning': 'tuning' };

/** The binary that runs for a plugin `type`. */
export const pluginBinary = (type: string): string => PLUGIN_ALIASES[type] ?? type;

/** One plugin's config as written (its `type` kept as written). */
export type PluginConfig = Record<string, unknown> & { type: string };

/** A network as a list of plugins (a single config is a list of one). */
export interface NetworkConfigList {
  /** Undefined only for a single config that does not name one (the plugin then assumes 0.1.0). */
  cniVersion?: string;
  name: string;
  plugins: PluginConfig[];
  /** True when the source was a single plugin config rather than a conflist. */
  single: boolean;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Splits a multus `networkName` (`name` or `namespace/name`); a bare name is in the pod's namespace. */
export function parseNetworkName(networkName: string, podNamespace: string): { namespace: string; name: string } {
  const parts = networkName.split('/');
  const [a, b] = parts;
  const ok = (s: string | undefined): s is string => s !== undefined && NAME.test(s);
  if (parts.length === 1 && ok(a)) return { namespace: podNamespace, name: a };
  if (parts.length === 2 && ok(a) && ok(b)) return { namespace: a, name: b };
  throw new InvalidAttachmentError('networkName', '"name" or "namespace/name" (lower-case DNS names)', JSON.stringify(networkName));
}

const shown = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v).slice(0, 120));

/**
 * Parses a config (JSON text or an object) into a plugin list. No top-level `type` means a
 * conflist. A config without `name` gets `defaultName` (the NAD's name).
 */
export function expandNetworkConfig(source: string | object, defaultName: string, where: CniWhere, options: { ipamDataRoot?: string } = {}): NetworkConfigList {
  const fail = (field: string, expected: string, found: string, cause?: unknown): never => {
    throw new CniConfigError(where.network, where.networkName, field, expected, found, cause === undefined ? undefined : { cause });
  };
  let config: unknown = source;
  if (typeof source === 'string') {
    if (source.trim() === '') fail('spec.config', 'a CNI config or conflist as a JSON string', 'an empty string');
    try {
      config = JSON.parse(source);
    } catch (err) {
      fail('spec.config', 'a CNI config or conflist as JSON', `invalid JSON (${(err as Error).message})`, err);
    }
  }
  if (!isObject(config)) return fail('spec.config', 'a JSON object (a CNI config or conflist)', shown(config));
  const name = config.name === undefined ? defaultName : config.name;
  if (typeof name !== 'string' || name === '') return fail('spec.config.name', 'a non-empty string', shown(config.name));
  const version = config.cniVersion;
  if (version !== undefined && typeof version !== 'string') return fail('spec.config.cniVersion', 'a version string like "0.3.1" or "1.0.0"', shown(version));

  if (config.type === undefined) {
    const plugins = config.plugins;
    if (!Array.isArray(plugins) || plugins.length === 0) {
      return fail('spec.config', '"type" (a single plugin config) or a non-empty "plugins" list (a conflist)', config.plugins === undefined ? 'neither' : `plugins ${shown(plugins)}`);
    }
    if (version === undefined) return fail('spec.config.cniVersion', 'a version string like "0.3.1" or "1.0.0" in a conflist', 'nothing');
    const list = plugins.map((p: unknown, i): PluginConfig => {
      if (!isObject(p)) return fail(`spec.config.plugins[${i}]`, 'a plugin config object', shown(p));
      if (typeof p.type !== 'string' || p.type === '') return fail(`spec.config.plugins[${i}].type`, 'a plugin type (a binary name)', shown(p.type));
      checkIpam(p, `spec.config.plugins[${i}]`, fail, options.ipamDataRoot);
      return { ...p, type: p.type };
    });
    return { cniVersion: version, name, plugins: list, single: false };
  }
  if (typeof config.type !== 'string' || config.type === '') return fail('spec.config.type', 'a plugin type (a binary name)', shown(config.type));
  checkIpam(config, 'spec.config', fail, options.ipamDataRoot);
  const plugin: PluginConfig = { ...config, type: config.type, name };
  return { ...(version === undefined ? {} : { cniVersion: version }), name, plugins: [plugin], single: true };
}

function checkIpam(plugin: Record<string, unknown>, field: string, fail: (field: string, expected: string, found: string) => never, dataRoot: string | undefined): void {
  const ipam = plugin.ipam;
  if (ipam === undefined) return;
  if (!isObject(ipam)) fail(`${field}.ipam`, 'an object', shown(ipam));
  else if (ipam.type !== undefined && (typeof ipam.type !== 'string' || ipam.type === '')) fail(`${field}.ipam.type`, 'an IPAM plugin type', shown(ipam.type));
  // host-local writes its leases under dataDir as root: a NAD may only pick a dir inside pxevirt's data dir.
  else if (ipam.dataDir !== undefined) {
    const dir = ipam.dataDir;
    const root = dataRoot === undefined ? undefined : normalize(dataRoot);
    const inside = typeof dir === 'string' && isAbsolute(dir) && root !== undefined && normalize(dir).startsWith(`${root.replace(/\/+$/, '')}/`);
    if (!inside) fail(`${field}.ipam.dataDir`, root === undefined ? 'no dataDir (none is allowed here)' : `an absolute path inside ${root}`, shown(dir));
  }
}

/** The binaries a network runs: each plugin's and each `ipam.type` (found through CNI_PATH by the plugin). */
export function requiredBinaries(list: NetworkConfigList): Array<{ plugin: string; binary: string }> {
  const out: Array<{ plugin: string; binary: string }> = [];
  for (const p of list.plugins) {
    out.push({ plugin: p.type, binary: pluginBinary(p.type) });
    const ipam = p.ipam;
    if (isObject(ipam) && typeof ipam.type === 'string') out.push({ plugin: `${p.type} ipam ${ipam.type}`, binary: ipam.type });
  }
  return out;
}

/** Bridges a network's `bridge` plugins attach to (default `cni0`, as the plugin does). */
export function bridgeNames(list: NetworkConfigList): string[] {
  const names = list.plugins.filter((p) => pluginBinary(p.type) === 'bridge').map((p) => (typeof p.bridge === 'string' && p.bridge !== '' ? p.bridge : 'cni0'));
  return [...new Set(names)];
}

/** Runtime arguments a plugin may receive as `runtimeConfig` when it declares the capability. */
export interface CapabilityArgs {
  mac?: string;
}

/**
 * What plugin `index` reads on stdin: its config with the list's `cniVersion` and `name`,
 * `runtimeConfig` holding the capability args it declares (as libcni, replacing any given),
 * and `prevResult` when there is one.
 */
export function pluginStdin(list: NetworkConfigList, index: number, options: { capabilityArgs?: CapabilityArgs; prevResult?: CniResult } = {}): Record<string, unknown> {
  const plugin = list.plugins[index];
  if (!plugin) throw new RangeError(`plugin index ${index} out of range (the list has ${list.plugins.length})`);
  const out: Record<string, unknown> = { ...plugin, name: list.name };
  if (list.cniVersion !== undefined) out.cniVersion = list.cniVersion;
  const caps = isObject(plugin.capabilities) ? plugin.capabilities : {};
  const runtimeConfig: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options.capabilityArgs ?? {})) {
    if (caps[key] === true && value !== undefined) runtimeConfig[key] = value;
  }
  if (Object.keys(runtimeConfig).length > 0) out.runtimeConfig = runtimeConfig;
  if (options.prevResult !== undefined) out.prevResult = options.prevResult;
  return out;
}
