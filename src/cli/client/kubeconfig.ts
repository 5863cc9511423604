// Reads a kubeconfig (the file `pxevirt up` writes, or any kubectl one) down to what a
// client needs: server URL, CA, credentials and the context's namespace.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KubeconfigError, NoKubeconfigError } from './cli-errors.ts';
import { parseSimpleYaml } from './simple-yaml.ts';

/** Where and how to talk to the API server. */
export interface ClusterAccess {
  /** The file it came from. */
  path: string;
  server: string;
  /** PEM of the CA to trust; undefined means the system's. */
  ca?: string;
  insecureSkipTlsVerify?: boolean;
  token?: string;
  clientCert?: string;
  clientKey?: string;
  /** The current context's namespace, or `default`. */
  namespace: string;
  /** The local daemon's unix socket (the cluster's `pxevirt.io/socket` extension); used only as local-socket.ts allows. */
  socket?: string;
}

/** The cluster extension `pxevirt up` writes to name its unix socket (src/daemon/kubeconfig.ts writes the same name; kubeconfig.test.ts checks). */
export const SOCKET_EXTENSION = 'pxevirt.io/socket';

/** The socket path of a cluster's `pxevirt.io/socket` extension, if any. */
function socketExtension(cluster: Record<string, unknown>): string | undefined {
  const list = Array.isArray(cluster.extensions) ? (cluster.extensions as unknown[]) : [];
  const ext = list.find((e): e is { extension?: unknown } => typeof e === 'object' && e !== null && (e as { name?: unknown }).name === SOCKET_EXTENSION)?.extension;
  return typeof ext === 'object' && ext !== null ? str((ext as { path?: unknown }).path) : undefined;
}

/** What the environment says; passed in so tests need no real home. */
export interface KubeconfigEnv {
  KUBECONFIG?: string | undefined;
  HOME?: string | undefined;
  uid?: number | undefined;
}

/** The default data directory's kubeconfig: `/var/lib/pxevirt` for root, else `~/.local/share/pxevirt`. */
export function defaultKubeconfigPath(env: KubeconfigEnv): string {
  const base = env.uid === 0 ? '/var/lib/pxevirt' : join(env.HOME ?? '.', '.local/share/pxevirt');
  return join(base, 'kubeconfig');
}

/** The candidate files in order: --kubeconfig, else $KUBECONFIG's first entry, else the default. */
export function kubeconfigCandidates(explicit: string | undefined, env: KubeconfigEnv): string[] {
  if (explicit) return [explicit];
  const first = (env.KUBECONFIG ?? '').split(':').find((p) => p !== '');
  if (first) return [first];
  return [defaultKubeconfigPath(env)];
}

type Named<T> = { name?: string } & T;
interface RawConfig {
  'current-context'?: string;
  clusters?: Named<{ cluster?: Record<string, unknown> }>[];
  users?: Named<{ user?: Record<string, unknown> }>[];
  contexts?: Named<{ context?: { cluster?: string; user?: string; namespace?: string } }>[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const b64 = (v: unknown): string | undefined => {
  const s = str(v);
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
};

/** Resolves the current context of kubeconfig text; `readFile` reads files it refers to. */
export function parseKubeconfig(text: string, path: string, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8'), context?: string): ClusterAccess {
  let raw: RawConfig;
  try {
    // The block YAML kubeconfigs are written in is read without the yaml library (simple-yaml.ts).
    raw = (parseSimpleYaml(text) ?? parse(text) ?? {}) as RawConfig;
  } catch (err) {
    throw new KubeconfigError(path, `not YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const ctxName = context ?? raw['current-context'];
  if (!ctxName) throw new KubeconfigError(path, 'no current-context');
  const ctx = raw.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new KubeconfigError(path, `context "${ctxName}" not found`);
  const cluster = raw.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster) throw new KubeconfigError(path, `cluster "${ctx.cluster ?? ''}" of context "${ctxName}" not found`);
  const server = str(cluster.server);
  if (!server) throw new KubeconfigError(path, `cluster "${ctx.cluster ?? ''}" has no server`);
  const user = raw.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const file = (v: unknown) => {
    const p = str(v);
    return p === undefined ? undefined : readFile(p);
  };
  const access: ClusterAccess = { path, server, namespace: str(ctx.namespace) ?? 'default' };
  const ca = b64(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']);
  if (ca) access.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) access.insecureSkipTlsVerify = true;
  const socket = socketExtension(cluster);
  if (socket) access.socket = socket;
  const token = str(user.token) ?? file(user.tokenFile)?.trim();
  if (token) access.token = token;
  const cert = b64(user['client-certificate-data']) ?? file(user['client-certificate']);
  const key = b64(user['client-key-data']) ?? file(user['client-key']);
  if (cert) access.clientCert = cert;
  if (key) access.clientKey = key;
  return access;
}

/** Loads the kubeconfig the CLI should use, or throws NoKubeconfigError naming where it looked. */
export function loadKubeconfig(explicit: string | undefined, env: KubeconfigEnv, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): ClusterAccess {
  const candidates = kubeconfigCandidates(explicit, env);
  for (const path of candidates) {
    let text: string;
    try {
      text = readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new KubeconfigError(path, err instanceof Error ? err.message : String(err));
    }
    return parseKubeconfig(text, path, readFile);
  }
  throw new NoKubeconfigError(candidates);
}
