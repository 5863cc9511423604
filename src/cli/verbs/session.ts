// What every kubectl-like verb starts from: the kubeconfig, a REST client, discovery, the
// namespace to use, and where output goes (entry points pass stdout/stderr in).
import { loadKubeconfig, type ClusterAccess } from '../client/kubeconfig.ts';
import { RestClient } from '../client/rest.ts';
import { Discovery } from '../client/discovery.ts';
import { cacheDir, fileDiscoveryCache } from '../client/discovery-cache.ts';

/** Where a verb writes and reads; the entry point passes the process's streams. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
}

/** Flags every verb accepts. */
export interface GlobalOptions {
  namespace?: string;
  kubeconfig?: string;
}

export interface Session {
  access: ClusterAccess;
  client: RestClient;
  discovery: Discovery;
  /** The namespace to use: -n, else the context's, else `default`. */
  namespace: string;
  /** Whether -n was given (then manifests must agree with it). */
  namespaceExplicit: boolean;
  io: Io;
}

/** Opens a session from the flags and the environment. */
export function openSession(options: GlobalOptions, io: Io, env: NodeJS.ProcessEnv = process.env): Session {
  const access = loadKubeconfig(options.kubeconfig, { KUBECONFIG: env.KUBECONFIG, HOME: env.HOME, uid: process.getuid?.() });
  const client = new RestClient(access, { onWarning: (w) => io.err(`Warning: ${w}\n`) });
  const dir = cacheDir(env);
  const cache = dir ? fileDiscoveryCache(dir, access.server, access.token ?? access.clientCert ?? '') : undefined;
  const discovery = new Discovery((path) => client.request({ path }), cache);
  return { access, client, discovery, namespace: options.namespace || access.namespace, namespaceExplicit: Boolean(options.namespace), io };
}

/** Reads all of stdin (for `-f -`). */
export async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
