// What every kubectl-like verb starts from: the kubeconfig, a REST client, discovery, the
// namespace to use, and where output goes (entry points pass stdout/stderr in).
import { realpathSync } from 'node:fs';
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
  lazySystemStore(access, env);
  const client = new RestClient(access, { onWarning: (w) => io.err(`Warning: ${w}\n`) });
  const dir = cacheDir(env);
  const cache = dir ? fileDiscoveryCache(dir, access.server, access.token ?? access.clientCert ?? '') : undefined;
  const discovery = new Discovery((path) => client.request({ path }), cache);
  return { access, client, discovery, namespace: options.namespace || access.namespace, namespaceExplicit: Boolean(options.namespace), io };
}

/**
 * OpenSSL's default CA file on Debian and what it links to: the system store, also in the hashed directory.
 * bin/pxevirt's systemStore() lists the same two (it cannot import this): keep them in step.
 */
const SYSTEM_CA_FILES = ['/usr/lib/ssl/cert.pem', '/etc/ssl/certs/ca-certificates.crt'];

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * Node 20 builds its whole root store the first time a TLS context is given a `ca`, only to compare
 * the context's store with it: 25–80 ms of parsing the system bundle before the first request, for
 * a store the connection never uses (the kubeconfig's CA is the only one trusted). bin/pxevirt starts
 * Node with --use-openssl-ca, where that store is OpenSSL's default paths: with SSL_CERT_FILE at an
 * empty file they are the hashed directory alone, read lazily, so building it costs nothing. Done
 * only when the kubeconfig names a CA and SSL_CERT_FILE is unset or the system bundle itself (this
 * machine sets it so), so no CA anyone chose is dropped.
 */
export function lazySystemStore(access: { ca?: unknown }, env: NodeJS.ProcessEnv, execArgv: readonly string[] = process.execArgv): void {
  if (access.ca === undefined || !execArgv.includes('--use-openssl-ca')) return;
  const file = env.SSL_CERT_FILE;
  if (file === undefined || file === '' || SYSTEM_CA_FILES.some((system) => sameFile(file, system))) env.SSL_CERT_FILE = '/dev/null';
}

/** Reads all of stdin (for `-f -`). */
export async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
