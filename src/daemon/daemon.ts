// `pxevirt up`'s process body: opens the store, makes sure of the `default` namespace and the
// TLS material, writes the kubeconfig, and serves the API over HTTPS.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../lib/logger.ts';
import type { KindInfo } from '../resources/kind.ts';
import { KINDS } from '../resources/kinds.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { AlreadyExistsError } from '../store/errors.ts';
import type { ObjectStore } from '../store/types.ts';
import { createApiHandler } from '../api/handler.ts';
import { nodeListener } from '../api/node-adapter.ts';
import { createCa, createServerCert, type KeyPairPem } from './certs.ts';
import { kubeconfigText, serverUrl } from './kubeconfig.ts';

export interface DaemonOptions {
  dataDir: string;
  /** `HOST:PORT` (`[::1]:6443` for IPv6); port 0 picks a free one. */
  listen: string;
  log: Logger;
  /** The kinds to serve (default: every kind pxevirt knows). */
  kinds?: readonly KindInfo[];
  version?: string;
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
}

/** Starts the daemon; resolves once it listens. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { host, port } = parseListen(options.listen);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const store = openSqliteStore({ path: join(options.dataDir, 'pxevirt.db'), logger: options.log.child({ component: 'store' }) });
  let server: Server | undefined;
  try {
    ensureDefaultNamespace(store);
    const ca = await loadOrCreateCa(options.dataDir);
    const token = loadOrCreateToken(options.dataDir);
    const cert = await createServerCert(ca, ['127.0.0.1', 'localhost', '::1', host]);
    const handler = createApiHandler({ store, kinds: options.kinds ?? KINDS, token, ...(options.version ? { version: options.version } : {}) });
    server = createServer({ cert: cert.certPem, key: cert.keyPem }, nodeListener(handler, options.log.child({ component: 'api' })));
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(port, host, () => resolve());
    });
    const actual = (listening.address() as AddressInfo).port;
    const kubeconfigPath = join(options.dataDir, 'kubeconfig');
    writePrivate(kubeconfigPath, kubeconfigText({ server: serverUrl(host, actual), caPem: ca.certPem, token }));
    options.log.info({ host, port: actual, kubeconfig: kubeconfigPath }, 'listening');
    let closing: Promise<void> | undefined;
    return {
      host,
      port: actual,
      kubeconfigPath,
      close: () => {
        closing ??= new Promise<void>((resolve) => {
          listening.close(() => resolve());
          listening.closeAllConnections();
        }).finally(() => store.close());
        return closing;
      },
    };
  } catch (err) {
    server?.close();
    store.close();
    throw err;
  }
}
