// The `pxevirt up` config file (YAML or JSON): the same settings as the flags, e.g.
//   listen: 127.0.0.1:6443
//   registryMirrors: { docker.io: http://127.0.0.1:5000 }
// `--config FILE`, else `<data-dir>/config.yaml` when it exists. Flags win over the file
// (registry mirrors merge per registry, the flag's URL winning). Unknown keys and bad values
// are refused with one cause per key naming the expected and the found value.
//
// Adding a key is one line in CONFIG_KEYS below: its name is the DaemonOptions field it sets
// (up() passes the merged config on to startDaemon as is), its checker one of those here.
// Its flag, if it has one, is one `.option()` line on `up` in src/cli/main.ts whose camelCase
// name is the key (`--cni-plugin-dir` ↔ cniPluginDir): configFromFlags checks it with the same
// checker (relative paths from the working directory).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import { CauseType, shown, ValidationError, type Cause } from '../resources/causes.ts';
import { parseRegistryMirror } from '../runtime/volumes/image-ref.ts';
import { formatMacRange, MacRangeError, parseMacRange } from '../network/mac-pool.ts';
import type { DaemonOptions } from './daemon.ts';

/** Checks one value: returns it (normalized) or the text for "expected …" when it is wrong. */
type Checker<T> = (value: unknown, ctx: { dir: string }) => { ok: T } | { expected: string };

/** A string matching `re`; `expected` describes it for messages. */
export const pattern = (re: RegExp, expected: string): Checker<string> => (v) => (typeof v === 'string' && re.test(v) ? { ok: v } : { expected });

/** A path; relative ones are taken from the config file's directory. */
export const path: Checker<string> = (v, { dir }) => (typeof v === 'string' && v !== '' && !v.includes('\0') ? { ok: isAbsolute(v) ? v : resolve(dir, v) } : { expected: 'a path (relative ones start at the config file\'s directory)' });

/** One of the given strings. */
export const oneOf = <const T extends string>(...values: T[]): Checker<T> => (v) =>
  typeof v === 'string' && (values as string[]).includes(v) ? { ok: v as T } : { expected: `one of ${values.join(', ')}` };

/** true or false. */
export const boolean: Checker<boolean> = (v) => (typeof v === 'boolean' ? { ok: v } : { expected: 'true or false' });

/** A list of values each passing `item`. */
export const listOf = <T>(item: Checker<T>): Checker<T[]> => (v, ctx) => {
  if (!Array.isArray(v)) return { expected: 'a list' };
  const out: T[] = [];
  for (const [i, x] of v.entries()) {
    const r = item(x, ctx);
    if (!('ok' in r)) return { expected: `a list of ${r.expected} (wrong at [${i}])` };
    out.push(r.ok);
  }
  return { ok: out };
};

/** An integer in [min, max] (flags arrive as decimal strings). */
export const integer = (min: number, max: number): Checker<number> => (v) => {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? { ok: n } : { expected: `an integer from ${min} to ${max}` };
};

const LISTEN = /^(?:\[[0-9A-Fa-f:.]+\]|[^:\s[\]]+):(?:6553[0-5]|655[0-2]\d|65[0-4]\d{2}|6[0-4]\d{3}|[1-5]\d{4}|\d{1,4})$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The config file's keys and how each is checked (see the file comment). */
export const CONFIG_KEYS = {
  listen: pattern(LISTEN, 'HOST:PORT such as 127.0.0.1:6443'),
  dataDir: path,
  logLevel: oneOf('debug', 'info', 'warn', 'error'),
  nodeName: pattern(DNS_SUBDOMAIN, 'a DNS subdomain name such as node-1 (lower-case letters, digits, \'-\', \'.\')'),
  netnsPrefix: pattern(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, '1 to 32 letters, digits, \'_\', \'.\' or \'-\' starting with a letter or digit'),
  controllers: boolean,
  registryMirrors: mirrors,
  pxeNetnsPrefix: pattern(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, '1 to 32 letters, digits, \'_\', \'.\' or \'-\' starting with a letter or digit'),
  pxeStatusPollMs: integer(100, 600_000),
  macRange,
  nodeNetns: pattern(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a network namespace name (letters, digits, \'_\', \'.\', \'-\')'),
  hostNetwork: boolean,
  cniPluginDirs: listOf(path),
  pxeRoots: listOf(path),
  pxeIpxeDir: path,
  nncpProbe: oneOf('gateway', 'none'),
  qemuUser: pattern(/^[a-z_][a-z0-9_-]{0,31}$/, 'a user name such as pxevirt-qemu (root keeps QEMU root)'),
  pxeUser: pattern(/^[a-z_][a-z0-9_-]{0,31}$/, 'a user name such as pxevirt-pxe (root keeps the PXE servers root)'),
} satisfies Record<string, Checker<unknown>>;

type Keys = typeof CONFIG_KEYS;
/** The settings a config file may hold; every one optional. */
export type DaemonConfig = { -readonly [K in keyof Keys]?: Keys[K] extends Checker<infer T> ? T : never };

// Compile-time guard: every key but logLevel (the CLI's) is a DaemonOptions field of that type.
type DaemonKeys = Omit<DaemonConfig, 'logLevel'>;
const keysAreDaemonOptions: [Exclude<keyof DaemonKeys, keyof DaemonOptions>] extends [never] ? (Required<DaemonKeys> extends Pick<DaemonOptions, keyof DaemonKeys> ? true : false) : false = true;
void keysAreDaemonOptions;

/** The MAC pool's range `FIRST-LAST` (unicast, locally administered), canonical on output. */
function macRange(v: unknown): { ok: string } | { expected: string } {
  const expected = 'FIRST-LAST, two unicast locally administered MACs with the first not above the last, such as 02:00:00:00:00:00-02:ff:ff:ff:ff:ff';
  if (typeof v !== 'string') return { expected };
  try {
    return { ok: formatMacRange(parseMacRange(v)) };
  } catch (err) {
    return { expected: err instanceof MacRangeError ? err.expected : expected };
  }
}

/** Registry host → mirror URL, each checked as `--registry-mirror REGISTRY=URL` is. */
function mirrors(v: unknown): { ok: Record<string, string> } | { expected: string } {
  const expected = 'a map of registry to mirror URL such as {docker.io: http://127.0.0.1:5000}';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { expected };
  const out: Record<string, string> = {};
  for (const [registry, url] of Object.entries(v)) {
    if (typeof url !== 'string') return { expected };
    try {
      const m = parseRegistryMirror(`${registry}=${url}`);
      out[m.registry] = m.url;
    } catch {
      return { expected: `${expected} (a registry host[:port] and an http(s) URL), wrong at ${JSON.stringify(registry)}` };
    }
  }
  return { ok: out };
}

/** Checks a parsed document; returns the config or every cause. `dir` anchors relative paths. */
export function validateDaemonConfig(doc: unknown, dir: string): { value: DaemonConfig; causes: [] } | { value?: undefined; causes: Cause[] } {
  if (doc === null || doc === undefined) return { value: {}, causes: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) return { causes: [{ type: CauseType.Invalid, field: '<config>', message: `expected a map of settings, found ${shown(doc)}` }] };
  const value: Record<string, unknown> = {};
  const causes: Cause[] = [];
  const known = Object.keys(CONFIG_KEYS);
  for (const [key, raw] of Object.entries(doc)) {
    const check = (CONFIG_KEYS as Record<string, Checker<unknown>>)[key];
    if (!check) {
      causes.push({ type: CauseType.Unknown, field: key, message: `unknown key: expected one of ${known.join(', ')}, found ${JSON.stringify(key)}` });
      continue;
    }
    const r = check(raw, { dir });
    if ('ok' in r) value[key] = r.ok;
    else causes.push({ type: CauseType.Invalid, field: key, message: `expected ${r.expected}, found ${shown(raw)}` });
  }
  return causes.length > 0 ? { causes } : { value: value as DaemonConfig, causes: [] };
}

/** Parses config text (YAML, which includes JSON); throws ValidationError naming each bad key. */
export function parseDaemonConfig(text: string, source: string): DaemonConfig {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
    throw new ValidationError(`pxevirt config ${source}`, [
      { type: CauseType.Invalid, field: '<config>', message: `expected YAML or JSON, found a syntax error${where}: ${(err as Error).message.split('\n')[0]}` },
    ]);
  }
  const r = validateDaemonConfig(doc, dirname(resolve(source)));
  if (!r.value) throw new ValidationError(`pxevirt config ${source}`, r.causes);
  return r.value;
}

/** The data dir when none is given: /var/lib/pxevirt for root, else ~/.local/share/pxevirt. */
export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/pxevirt' : join(homedir(), '.local', 'share', 'pxevirt');
}

/** The node's containerDisk cache dir (shared by the runtime and `pxevirt pull`). */
export const imageCacheDir = (dataDir: string): string => join(dataDir, 'cache', 'images');

/** The default config file: `<dataDir>/config.yaml`. */
export const defaultConfigPath = (dataDir: string): string => join(dataDir, 'config.yaml');

/**
 * Loads `--config FILE` (which must exist), else `<dataDir>/config.yaml` when present, else
 * nothing. A config file found in the data dir may not name another data dir.
 */
export async function loadDaemonConfig(options: { config?: string; dataDir: string }): Promise<{ config: DaemonConfig; path?: string }> {
  const explicit = options.config !== undefined;
  const file = options.config ?? defaultConfigPath(options.dataDir);
  if (!explicit && !existsSync(file)) return { config: {} };
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read pxevirt config ${file}: expected a readable file, found ${err.code ?? err.message}`, { cause: err });
  });
  const config = parseDaemonConfig(text, file);
  if (!explicit && config.dataDir !== undefined && resolve(config.dataDir) !== resolve(options.dataDir)) {
    throw new ValidationError(`pxevirt config ${file}`, [
      { type: CauseType.Invalid, field: 'dataDir', message: `a config file inside the data dir cannot move it: expected ${JSON.stringify(resolve(options.dataDir))} or no dataDir, found ${JSON.stringify(config.dataDir)}` },
    ]);
  }
  return { config, path: file };
}

/** Flags over the file: a flag given wins; registry mirrors merge per registry, the flag's winning. */
export function mergeDaemonConfig(file: DaemonConfig, flags: DaemonConfig): DaemonConfig {
  const out: Record<string, unknown> = { ...file };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) out[k] = v;
  if (file.registryMirrors || flags.registryMirrors) out.registryMirrors = { ...file.registryMirrors, ...flags.registryMirrors };
  return out as DaemonConfig;
}

const kebab = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The settings given as flags (commander's camelCase names, only those given): each checked as
 * its config key is, with the flag's name in causes; `registryMirror` (repeatable
 * `REGISTRY=URL`) becomes registryMirrors; `config` is left out (it names the file).
 */
export function configFromFlags(flags: Readonly<Record<string, unknown>>, cwd: string): DaemonConfig {
  const value: Record<string, unknown> = {};
  const causes: Cause[] = [];
  for (const [key, raw] of Object.entries(flags)) {
    if (raw === undefined || key === 'config') continue;
    if (key === 'registryMirror') {
      const mirrors: Record<string, string> = {};
      for (const text of raw as string[]) {
        try {
          const m = parseRegistryMirror(text);
          mirrors[m.registry] = m.url;
        } catch (err) {
          causes.push({ type: CauseType.Invalid, field: '--registry-mirror', message: (err as Error).message.replace(/^registry mirror: /, '') });
        }
      }
      value.registryMirrors = mirrors;
      continue;
    }
    const check = (CONFIG_KEYS as Record<string, Checker<unknown>>)[key];
    if (!check) throw new Error(`pxevirt up: flag ${kebab(key)} has no config key ${JSON.stringify(key)} in CONFIG_KEYS (src/daemon/config.ts)`);
    const r = check(raw, { dir: cwd });
    if ('ok' in r) value[key] = r.ok;
    else causes.push({ type: CauseType.Invalid, field: kebab(key), message: `expected ${r.expected}, found ${shown(raw)}` });
  }
  if (causes.length > 0) throw new ValidationError('pxevirt up flags', causes);
  return value as DaemonConfig;
}

/** The daemon's settings once flags, the config file and the defaults are combined. */
export type ResolvedDaemonConfig = DaemonConfig & { dataDir: string; listen: string; logLevel: NonNullable<DaemonConfig['logLevel']>; configPath?: string };

export const DEFAULT_LISTEN = '127.0.0.1:6443';

/**
 * Flags, then the config file (`--config`, else `<data dir>/config.yaml` when present), then
 * defaults. The data dir is the flag's, else the file's (only a `--config` file may set it),
 * else `defaultDataDir`.
 */
export async function resolveDaemonConfig(flags: Readonly<Record<string, unknown>>, options: { cwd: string; defaultDataDir: string }): Promise<ResolvedDaemonConfig> {
  const fromFlags = configFromFlags(flags, options.cwd);
  const configFlag = flags.config;
  const loaded = await loadDaemonConfig({
    ...(typeof configFlag === 'string' ? { config: resolve(options.cwd, configFlag) } : {}),
    dataDir: fromFlags.dataDir ?? options.defaultDataDir,
  });
  const merged = mergeDaemonConfig(loaded.config, fromFlags);
  return {
    ...merged,
    dataDir: merged.dataDir ?? options.defaultDataDir,
    listen: merged.listen ?? DEFAULT_LISTEN,
    logLevel: merged.logLevel ?? 'info',
    ...(loaded.path !== undefined ? { configPath: loaded.path } : {}),
  };
}
