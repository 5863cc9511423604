// The API server end to end: the real daemon (`pxevirt up`) as a child process, driven over
// HTTPS with a keep-alive agent. Create, get and list latency (p50/p99) and throughput with
// 10,000 VMIs stored; 100 concurrent watchers that must all receive every one of 1,000 updates
// (the bench aborts otherwise), with the delivery latency; daemon memory (VmRSS) at idle and
// per stored object. There is no peer: the figures are absolute.
//   node --import tsx bench/api.ts [COUNT]        prints the JSON result
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fork } from 'node:child_process';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import type { WatchersReport, WatchersStart } from './api-watchers.ts';
import { parse as parseYaml } from 'yaml';
import { startDaemonProcess } from '../test/api/daemon-process.ts';

const SEED = '/work/shared/seed-scenario/vmi-pxe-boot.yaml';
const VMIS = '/apis/kubevirt.io/v1/virtualmachineinstances';
const nsVmis = (ns: string) => `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances`;

export interface LatencyFigure {
  operations: number;
  /** Requests in flight at once. */
  concurrency: number;
  p50Ms: number;
  p99Ms: number;
  /** Operations per second of wall time for the whole phase. */
  perSecond: number;
}

export interface ApiBenchResult {
  name: 'api';
  objects: number;
  namespaces: number;
  objectBytes: number;
  memory: {
    idleRssBytes: number;
    /** Right after the creates. */
    filledRssBytes: number;
    /** After the gets, lists and the watch phase. */
    finalRssBytes: number;
    /** (filled − idle) / objects. */
    perObjectBytes: number;
  };
  create: LatencyFigure;
  get: LatencyFigure;
  /** The whole of one namespace (objects / namespaces items) in one response. */
  listNamespace: LatencyFigure & { items: number };
  /** One page of limit=500 over every VMI; `walk` is the full walk through all pages. */
  listPage: LatencyFigure & { limit: number; pagesPerWalk: number; walk: LatencyFigure };
  watch: {
    watchers: number;
    updates: number;
    /** The update (label patch) requests themselves, made while the watchers listen, after the warm-up. */
    update: LatencyFigure;
    /**
     * The warm-up: the same patches, the first a fresh daemon serves (its JIT compiles the patch
     * and fan-out paths meanwhile). A daemon that has served for a while answers at `update`'s rate.
     */
    coldUpdate: LatencyFigure;
    /** Every watcher received every update (the bench throws otherwise). */
    everyWatcherGotEveryEvent: true;
    /** Events each watcher received: min and max over the watchers (both equal `updates`). */
    receivedPerWatcher: { min: number; max: number };
    deliveries: number;
    /** From the patch's response arriving to a watcher receiving the event, same clock (performance.now() in this process). Negative when the event beat the response. */
    deliveryFromResponse: { p50Ms: number; p99Ms: number; maxMs: number };
    /** From the patch request being sent to a watcher receiving the event. */
    deliveryFromRequest: { p50Ms: number; p99Ms: number; maxMs: number };
  };
  /** The 1-minute load average at the start, after the creates and after the patches (the machine is shared). */
  loadAverage: { start: number; afterCreates: number; afterPatches: number };
  /**
   * CPU time (user + system, from /proc) each process spent in the patch phase, per patch: the
   * daemon, the watchers' process and this process (the client). Steadier than the rate, which
   * also moves with the disk's sync latency and with what else the machine's two cores run.
   */
  patchCpuUsPerPatch: { daemon: number; watchers: number; client: number };
  /** The patch phase on the monotonic clock (µs), to cut a daemon CPU profile to it. */
  patchWindowUs: { fromUs: number; toUs: number };
}

export interface ApiBenchOptions {
  objects?: number;
  namespaces?: number;
  concurrency?: number;
  gets?: number;
  lists?: number;
  watchers?: number;
  updates?: number;
  /** Label patches made with the watchers listening before the measured ones, to warm the daemon up (default 1,000; reported as watch.coldUpdate). */
  warmupUpdates?: number;
  /** Log progress lines here (default: none). */
  log?: (line: string) => void;
  /** Node options for the daemon (PXEVIRT_BENCH_DAEMON_PROF=DIR on the command line gives --cpu-prof --cpu-prof-dir=DIR). */
  daemonNodeArgs?: string[];
}

/** The bench found a watcher that did not receive every event. */
export class WatchDeliveryError extends Error {
  constructor(readonly expected: number, readonly short: Array<{ watcher: number; received: number }>) {
    super(`${short.length} watcher(s) missed events: expected ${expected} events each, found ${short.slice(0, 10).map((s) => `watcher ${s.watcher}: ${s.received}`).join(', ')}${short.length > 10 ? ', …' : ''}`);
    this.name = 'WatchDeliveryError';
  }
}

/** A request to the daemon answered with an unexpected status. */
export class ApiRequestError extends Error {
  constructor(readonly method: string, readonly path: string, readonly expected: number, readonly status: number, readonly body: string) {
    super(`${method} ${path}: expected status ${expected}, found ${status}: ${body.slice(0, 300)}`);
    this.name = 'ApiRequestError';
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
function quantiles(samples: number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(sorted[sorted.length - 1] ?? 0) };
}
function figure(samples: number[], wallMs: number, concurrency: number): LatencyFigure {
  const { p50Ms, p99Ms } = quantiles(samples);
  return { operations: samples.length, concurrency, p50Ms, p99Ms, perSecond: Math.round(samples.length / (wallMs / 1000)) };
}

/** Runs `count` operations with at most `concurrency` in flight; returns per-operation ms and the wall time. */
async function timed(count: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = new Array<number>(count);
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await op(i);
      samples[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { samples, wallMs: performance.now() - start };
}

function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS line in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Daemon {
  pid: number;
  port: number;
  token: string;
  ca: Buffer;
  stop(): Promise<void>;
}

/** The daemon through the tests' launcher (test/api/daemon-process.ts), controllers off (the bench measures the API; with them every stored VMI would get a pod netns and a start attempt); stop() is graceful, SIGKILL after 10 s. */
async function startDaemon(dataDir: string, nodeArgs?: string[]): Promise<Daemon> {
  const cleanups: Array<() => unknown> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  };
  try {
    const d = await startDaemonProcess({ after: (fn) => void cleanups.push(fn) }, dataDir, { controllers: false, ...(nodeArgs ? { nodeArgs } : {}) });
    const stop = async () => {
      const killer = setTimeout(() => void d.kill9(), 10_000);
      await d.stop();
      clearTimeout(killer);
      await cleanup();
    };
    return { pid: d.child.pid!, port: d.port, token: d.token, ca: readFileSync(join(dataDir, 'ca.crt')), stop };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

interface Client {
  /** `received` is called when the whole response has arrived, before it is parsed. */
  call(method: string, path: string, expected: number, body?: unknown, contentType?: string, received?: () => void): Promise<Record<string, unknown>>;
  close(): void;
}

function clientFor(daemon: Daemon, maxSockets: number): Client {
  const agent = new Agent({ keepAlive: true, maxSockets, ca: daemon.ca });
  const call: Client['call'] = (method, path, expected, body, contentType = 'application/json', received) =>
    new Promise((done, fail) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { authorization: `Bearer ${daemon.token}`, accept: 'application/json' };
      if (payload !== undefined) headers['content-type'] = contentType;
      const req = request({ host: '127.0.0.1', port: daemon.port, method, path, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          received?.();
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== expected) return fail(new ApiRequestError(method, path, expected, res.statusCode ?? 0, text));
          try {
            done(JSON.parse(text) as Record<string, unknown>);
          } catch (err) {
            fail(err);
          }
        });
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end(payload);
    });
  return { call, close: () => agent.destroy() };
}

/** The watchers' child process (bench/api-watchers.ts): raw TLS streams, scanned, not parsed. */
interface Watchers {
  /** Resolves once every watch answered 200 (the watches are registered). */
  opened: Promise<void>;
  /** Resolves when every watcher has every update, or rejects on a failure. */
  complete: Promise<void>;
  /** Closes the streams and returns each watcher's receipts (seq and µs on the monotonic clock). */
  finish(): Promise<{ seqs: number[][]; atUs: number[][] }>;
  kill(): void;
  pid: number;
}

/** A process's CPU time so far (user + system) in µs, from /proc/PID/stat. */
function cpuUsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}
/** sysconf(_SC_CLK_TCK): 100 on Linux for every architecture Debian ships. */
const CLOCK_TICKS = 100;

function startWatchers(daemon: Daemon, resourceVersion: string, watchers: number, updates: number): Watchers {
  const child = fork(fileURLToPath(new URL('./api-watchers.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  type Receipts = { seqs: number[][]; atUs: number[][] };
  const waiters: { opened: Array<[() => void, (e: Error) => void]>; complete: Array<[() => void, (e: Error) => void]>; receipts: Array<[(r: Receipts) => void, (e: Error) => void]> } = { opened: [], complete: [], receipts: [] };
  let failure: Error | undefined;
  const failAll = (err: Error) => {
    failure ??= err;
    for (const [, fail] of [...waiters.opened.splice(0), ...waiters.complete.splice(0), ...waiters.receipts.splice(0)]) fail(err);
  };
  let isOpened = false;
  let isComplete = false;
  child.on('message', (m: WatchersReport) => {
    if (m.type === 'opened') (isOpened = true), waiters.opened.splice(0).forEach(([ok]) => ok());
    else if (m.type === 'complete') (isComplete = true), waiters.complete.splice(0).forEach(([ok]) => ok());
    else if (m.type === 'failed') failAll(new Error(m.message));
    else waiters.receipts.splice(0).forEach(([ok]) => ok(m));
  });
  let receipted = false;
  child.on('message', (m: WatchersReport) => void (m.type === 'receipts' && (receipted = true)));
  child.on('exit', (code) => receipted || failAll(new Error(`the watchers process exited with ${code} before reporting`)));
  const path = `${VMIS}?watch=true&resourceVersion=${encodeURIComponent(resourceVersion)}&labelSelector=bench`;
  const start: WatchersStart = { type: 'start', port: daemon.port, ca: daemon.ca.toString(), token: daemon.token, path, watchers, updates };
  child.send(start);
  const wait = (which: 'opened' | 'complete', done: () => boolean) =>
    new Promise<void>((ok, fail) => (failure ? fail(failure) : done() ? ok() : waiters[which].push([ok, fail])));
  return {
    opened: wait('opened', () => isOpened),
    get complete() {
      return wait('complete', () => isComplete);
    },
    finish: () =>
      new Promise((ok, fail) => {
        if (failure) return fail(failure);
        waiters.receipts.push([ok, fail]);
        child.send({ type: 'finish' });
      }),
    kill: () => child.kill('SIGKILL'),
    pid: child.pid!,
  };
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** The seed VMI with a unique name, namespace and MAC. */
function vmiBody(seed: Record<string, unknown>, i: number, namespace: string): Record<string, unknown> {
  const vmi = structuredClone(seed) as {
    apiVersion: string;
    metadata: Record<string, unknown>;
    spec: { domain: { devices: { interfaces: Array<Record<string, unknown>> } } };
  };
  vmi.apiVersion = 'kubevirt.io/v1';
  vmi.metadata = { name: `vmi-pxe-boot-${String(i).padStart(5, '0')}`, namespace, labels: { special: 'vmi-pxe-boot', bench: 'api' } };
  const mac = (i + 1).toString(16).padStart(6, '0').match(/../g)!.join(':');
  for (const iface of vmi.spec.domain.devices.interfaces) if (iface.macAddress) iface.macAddress = `de:00:00:${mac}`;
  delete (vmi as { status?: unknown }).status;
  return vmi;
}

/** Runs the API benchmark against a fresh daemon in a temp data dir (removed afterwards). */
export async function benchApi(options: ApiBenchOptions = {}): Promise<ApiBenchResult> {
  const count = options.objects ?? 10_000;
  const nsCount = options.namespaces ?? 4;
  const concurrency = options.concurrency ?? 16;
  const gets = options.gets ?? 1_000;
  const lists = options.lists ?? 20;
  const watcherCount = options.watchers ?? 100;
  const updates = options.updates ?? 1_000;
  const warmupUpdates = options.warmupUpdates ?? 1_000;
  const log = options.log ?? (() => undefined);
  const namespaces = Array.from({ length: nsCount }, (_, k) => `bench-${k}`);
  const nsOf = (i: number) => namespaces[i % nsCount]!;
  const nameOf = (i: number) => `vmi-pxe-boot-${String(i).padStart(5, '0')}`;
  const seed = parseYaml(readFileSync(SEED, 'utf8')) as Record<string, unknown>;

  const dataDir = mkdtempSync(join(tmpdir(), 'pxevirt-bench-api-'));
  let daemon: Daemon | undefined;
  let client: Client | undefined;
  let watchers: Watchers | undefined;
  try {
    const loadAtStart = loadavg()[0]!;
    daemon = await startDaemon(dataDir, options.daemonNodeArgs);
    client = clientFor(daemon, concurrency);
    const api = client;
    // Warm up (TLS sessions, JIT) and let the daemon settle before the idle reading.
    for (const ns of namespaces) await api.call('POST', '/api/v1/namespaces', 201, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await Promise.all(Array.from({ length: concurrency }, () => api.call('GET', nsVmis('default'), 200)));
    await sleep(2_000);
    const idleRssBytes = rssOf(daemon.pid);
    log(`api bench: daemon pid ${daemon.pid} idle at ${(idleRssBytes / 2 ** 20).toFixed(1)} MiB; creating ${count} VMIs, ${concurrency} in flight…`);

    const created = await timed(count, concurrency, (i) => api.call('POST', nsVmis(nsOf(i)), 201, vmiBody(seed, i, nsOf(i))));
    await sleep(1_000);
    const filledRssBytes = rssOf(daemon.pid);
    const loadAfterCreates = loadavg()[0]!;
    log(`api bench: created in ${(created.wallMs / 1000).toFixed(1)} s; RSS ${(filledRssBytes / 2 ** 20).toFixed(1)} MiB; gets and lists…`);

    const got = await timed(gets, 1, () => {
      const i = Math.floor(Math.random() * count);
      return api.call('GET', `${nsVmis(nsOf(i))}/${nameOf(i)}`, 200);
    });
    const perNs = count / nsCount;
    // Lists are timed to the last byte received: parsing 2 MB of JSON is the bench's cost, not the server's.
    const listSamples: number[] = [];
    const listedNs = await timed(lists, 1, async (k) => {
      const t0 = performance.now();
      const list = await api.call('GET', nsVmis(nsOf(k)), 200, undefined, undefined, () => listSamples.push(performance.now() - t0));
      const n = (list.items as unknown[]).length;
      if (Math.abs(n - perNs) > 1) throw new Error(`list of namespace ${nsOf(k)}: expected about ${perNs} items, found ${n}`);
    });
    const limit = 500;
    const pageSamples: number[] = [];
    let pageWallMs = 0;
    const walks = await timed(lists, 1, async () => {
      let cont: string | undefined;
      let items = 0;
      do {
        const t0 = performance.now();
        const page = await api.call('GET', `${VMIS}?limit=${limit}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`, 200, undefined, undefined, () => {
          const ms = performance.now() - t0;
          pageSamples.push(ms);
          pageWallMs += ms;
        });
        items += (page.items as unknown[]).length;
        cont = (page.metadata as { continue?: string }).continue || undefined;
      } while (cont);
      if (items !== count) throw new Error(`paged list of every VMI: expected ${count} items, found ${items}`);
    });

    log(`api bench: ${watcherCount} watchers, ${warmupUpdates} warm-up then ${updates} measured label patches, ${concurrency} in flight…`);
    const top = await api.call('GET', `${VMIS}?limit=1`, 200);
    const resourceVersion = (top.metadata as { resourceVersion: string }).resourceVersion;
    const responseAt = new Array<number>(updates);
    const requestAt = new Array<number>(updates);
    watchers = startWatchers(daemon, resourceVersion, watcherCount, updates);
    await watchers.opened;
    // The warm-up patches set another label: the watchers receive them but count only bench-seq.
    const warm = await timed(warmupUpdates, concurrency, async (seq) => {
      const i = (seq * 7919 + 1) % count;
      await api.call('PATCH', `${nsVmis(nsOf(i))}/${nameOf(i)}`, 200, { metadata: { labels: { 'bench-warm': String(seq) } } }, 'application/merge-patch+json');
    });
    const patchWindow = { fromUs: nowUs(), toUs: 0 };
    const cpuBefore = [cpuUsOf(daemon.pid), cpuUsOf(watchers.pid), cpuUsOf(process.pid)];
    const updated = await timed(updates, concurrency, async (seq) => {
      const i = (seq * 7919) % count;
      requestAt[seq] = nowUs();
      await api.call('PATCH', `${nsVmis(nsOf(i))}/${nameOf(i)}`, 200, { metadata: { labels: { 'bench-seq': String(seq) } } }, 'application/merge-patch+json');
      responseAt[seq] = nowUs();
    });
    patchWindow.toUs = nowUs();
    const [daemonCpu, watchersCpu, clientCpu] = [cpuUsOf(daemon.pid), cpuUsOf(watchers.pid), cpuUsOf(process.pid)].map((us, k) => Math.round((us - cpuBefore[k]!) / updates));
    const loadAfterPatches = loadavg()[0]!;
    await Promise.race([watchers.complete, sleep(60_000)]);
    const receipts = await watchers.finish();
    watchers = undefined;
    const counts = receipts.seqs.map((s) => s.length);
    const short = counts.map((received, watcher) => ({ watcher, received })).filter((c) => c.received !== updates);
    if (short.length > 0) throw new WatchDeliveryError(updates, short);
    const fromResponse: number[] = [];
    const fromRequest: number[] = [];
    receipts.seqs.forEach((seqs, w) =>
      seqs.forEach((seq, k) => {
        const at = receipts.atUs[w]![k]!;
        fromResponse.push((at - responseAt[seq]!) / 1000);
        fromRequest.push((at - requestAt[seq]!) / 1000);
      }),
    );
    const delivered = fromResponse.length;
    log(`api bench: patch window ${patchWindow.fromUs}–${patchWindow.toUs} µs (monotonic; bench/profile-summary.mjs FILE N FROM TO)`);
    await sleep(1_000);
    const finalRssBytes = rssOf(daemon.pid);

    const q = (s: number[]) => quantiles(s);
    return {
      name: 'api',
      objects: count,
      namespaces: nsCount,
      objectBytes: JSON.stringify(vmiBody(seed, 0, nsOf(0))).length,
      memory: { idleRssBytes, filledRssBytes, finalRssBytes, perObjectBytes: Math.round((filledRssBytes - idleRssBytes) / count) },
      create: figure(created.samples, created.wallMs, concurrency),
      get: figure(got.samples, got.wallMs, 1),
      listNamespace: { ...figure(listSamples, listedNs.wallMs, 1), items: perNs },
      listPage: { ...figure(pageSamples, pageWallMs, 1), limit, pagesPerWalk: Math.ceil(count / limit), walk: figure(walks.samples, walks.wallMs, 1) },
      watch: {
        watchers: watcherCount,
        updates,
        update: figure(updated.samples, updated.wallMs, concurrency),
        coldUpdate: figure(warm.samples, warm.wallMs, concurrency),
        everyWatcherGotEveryEvent: true,
        receivedPerWatcher: { min: Math.min(...counts), max: Math.max(...counts) },
        deliveries: delivered,
        deliveryFromResponse: q(fromResponse),
        deliveryFromRequest: q(fromRequest),
      },
      loadAverage: { start: loadAtStart, afterCreates: loadAfterCreates, afterPatches: loadAfterPatches },
      patchCpuUsPerPatch: { daemon: daemonCpu!, watchers: watchersCpu!, client: clientCpu! },
      patchWindowUs: patchWindow,
    };
  } finally {
    watchers?.kill();
    client?.close();
    await daemon?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const objects = process.argv[2] ? Number(process.argv[2]) : undefined;
  const prof = process.env.PXEVIRT_BENCH_DAEMON_PROF;
  // PXEVIRT_BENCH_DAEMON_NODE_ARGS: more options for the daemon's node (e.g. V8's --log-deopt), split at spaces.
  const extra = process.env.PXEVIRT_BENCH_DAEMON_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const daemonNodeArgs = prof || extra.length > 0 ? [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), ...extra] : undefined;
  const result = await benchApi({ ...(objects ? { objects } : {}), ...(daemonNodeArgs ? { daemonNodeArgs } : {}), log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
