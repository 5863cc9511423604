// A throwaway OCI registry for tests: Debian's docker-registry (distribution 2.8) on a
// loopback port with its storage in a temp dir, behind a small counting proxy so tests can
// see which requests clients made. Stopped, and its dir removed, in t.after.
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { TestContextLike } from './netns.ts';

const run = promisify(execFile);
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const SKOPEO_BINARY = '/usr/bin/skopeo';

export interface TestRegistry {
  /** Base URL clients use: `http://127.0.0.1:PORT` (the counting proxy). */
  readonly url: string;
  /** The registry's own address (host:port), for pushes. */
  readonly address: string;
  /**
   * Pushes an OCI image layout (`oci:DIR:TAG`) as `name:tag`; `all` copies a whole index,
   * `format: 'v2s2'` converts to a Docker v2 schema 2 manifest.
   */
  push(ociDir: string, ref: string, options?: { tag?: string; all?: boolean; format?: 'oci' | 'v2s2' }): Promise<void>;
  /** Requests that came through `url` so far, oldest first. */
  requests(): ReadonlyArray<{ method: string; path: string; status: number }>;
}

/** Returns why a registry cannot be started here (a skip reason), or undefined. */
export function registryUnavailable(): string | undefined {
  if (!existsSync(REGISTRY_BINARY)) return `${REGISTRY_BINARY} not found (install docker-registry)`;
  if (!existsSync(SKOPEO_BINARY)) return `${SKOPEO_BINARY} not found (install skopeo)`;
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Starts a registry (see the file comment); `blobBytesPerSecond` paces blob downloads through `url` (to see progress move). */
export async function startRegistry(t: TestContextLike, options: { blobBytesPerSecond?: number } = {}): Promise<TestRegistry> {
  const unavailable = registryUnavailable();
  if (unavailable) throw new Error(unavailable);
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-registry-'));
  const cleanups: Array<() => Promise<void> | void> = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) await c();
    await rm(dir, { recursive: true, force: true });
  });

  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${address}`,
      '',
    ].join('\n'),
  );
  const child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4096);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  const gone = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  child.on('error', () => undefined);
  cleanups.push(async () => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const timer = new AbortController();
    await Promise.race([gone, sleep(5000, undefined, { signal: timer.signal }).catch(() => undefined)]);
    timer.abort(); // a pending timer would keep the test process alive
    if (!exited) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });

  for (let attempt = 0; ; attempt++) {
    const ok = await fetch(`http://${address}/v2/`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (exited || attempt > 100) throw new Error(`registry: ${REGISTRY_BINARY} did not answer on http://${address}/v2/ (${exited ? 'it exited' : 'timeout'}). It said:\n${output}`);
    await sleep(100);
  }

  const seen: Array<{ method: string; path: string; status: number }> = [];
  const proxy = createServer((req, res) => {
    const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: { ...req.headers, host: address } }, (up) => {
      seen.push({ method: req.method ?? 'GET', path: req.url ?? '/', status: up.statusCode ?? 0 });
      res.writeHead(up.statusCode ?? 502, up.headers);
      const rate = options.blobBytesPerSecond;
      if (rate === undefined || req.method !== 'GET' || !/\/blobs\/sha256:/.test(req.url ?? '')) return void up.pipe(res);
      up.on('data', (chunk: Buffer) => {
        res.write(chunk);
        up.pause();
        setTimeout(() => up.resume(), (chunk.length / rate) * 1000);
      });
      up.on('end', () => res.end());
    });
    upstream.on('error', (err) => {
      seen.push({ method: req.method ?? 'GET', path: req.url ?? '/', status: 502 });
      res.writeHead(502).end(err.message);
    });
    req.pipe(upstream);
  });
  const proxyPort = await listen(proxy);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  );

  return {
    url: `http://127.0.0.1:${proxyPort}`,
    address,
    async push(ociDir, ref, options = {}) {
      const args = ['copy', '--quiet', '--dest-tls-verify=false', ...(options.all ? ['--all'] : []), ...(options.format ? ['--format', options.format] : []), `oci:${ociDir}:${options.tag ?? 'latest'}`, `docker://${address}/${ref}`];
      try {
        await run(SKOPEO_BINARY, args, { maxBuffer: 16 << 20 });
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`registry: skopeo ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`);
      }
    },
    requests: () => [...seen],
  };
}
