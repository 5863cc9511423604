// Memory per stored object and the list's own cost, without TLS, sockets or client processes:
// the daemon's handler (MAC and instancetype admission) over a real store in this process,
// COUNT VMIs created 16 at a time through it. Reports RSS (and its anonymous part) idle, right
// after the creates, after a GC and after a quiet second; V8's heap used/total and the
// buffers outside it; and a 2,500-item namespace list's time to its response bytes. Run it with
// the daemon's node flags to see what they change (docs/benchmarks.md, "API server: the read side"):
//   node [FLAGS] --import tsx bench/store-memory.ts [COUNT]     prints JSON
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { benchVmi, inProcessApi, ns, nsVmis } from './inprocess-api.ts';
import { runInNewContext } from 'node:vm';
import { RawJson } from '../src/api/http-types.ts';
import { ChunkPool, JsonChunker } from '../src/api/json-chunks.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const count = Number(process.argv[2] ?? 10_000);
const concurrency = 16;
const { dir, store, call } = inProcessApi('pxevirt-bench-memory-');
const body = benchVmi;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** RSS and its anonymous part (the heap, malloc, buffers), from /proc/self/status. */
function rss(): { rssMiB: number; anonMiB: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rssMiB: mib(kb('VmRSS')), anonMiB: mib(kb('RssAnon')) };
}
function heap() {
  const m = process.memoryUsage();
  // Committed / used per V8 space: the young generation (new_space) grows to 2 × 16 MiB under a burst.
  const spaces = Object.fromEntries(getHeapSpaceStatistics().filter((s) => s.space_size > 0).map((s) => [s.space_name, `${mib(s.space_size)}/${mib(s.space_used_size)}`]));
  return { heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal), externalMiB: mib(m.external), arrayBuffersMiB: mib(m.arrayBuffers), spaces };
}

for (let k = 0; k < 4; k++) await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${k}` } });
await call('GET', nsVmis('bench-0'));
gc();
await sleep(1_000);
const idle = { ...rss(), ...heap() };
let next = 0;
const t = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < count) await call('POST', nsVmis(ns(next)), body(next++));
}));
const createMs = ms(t);
await sleep(1_000);
const afterCreates = { ...rss(), ...heap() };
gc();
const afterGc = { ...rss(), ...heap() };
await sleep(5_000);
const quiet = { ...rss(), ...heap() };

// A list's cost up to its response bytes (what the adapter writes): wall time, and CPU time,
// which the machine's load changes less.
const pool = new ChunkPool();
const lists: number[] = [];
const listCpu: number[] = [];
let listBytes = 0;
for (let k = 0; k < 20; k++) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = await call('GET', nsVmis(ns(k)));
  if (!(r.body instanceof RawJson)) throw new Error('expected a raw list');
  // What the adapter does with it, but into no socket: the chunks it would write.
  const chunker = new JsonChunker(r.body);
  listBytes = 0;
  for (let buffer = pool.take(), chunk = chunker.next(buffer); chunk; chunk = chunker.next(buffer)) listBytes += chunk.length;
  const c = process.cpuUsage(c0);
  lists.push(ms(t0));
  listCpu.push((c.user + c.system) / 1e3);
}
lists.sort((a, b) => a - b);
listCpu.sort((a, b) => a - b);
await sleep(1_000);
const end = { ...rss(), ...heap() };
store.close();
rmSync(dir, { recursive: true, force: true });
const per = (a: { rssMiB: number }) => Math.round(((a.rssMiB - idle.rssMiB) * 2 ** 20) / count);
process.stdout.write(`${JSON.stringify({
  objects: count,
  execArgv: process.execArgv.filter((a) => !a.includes('tsx')),
  mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
  loadAverage: loadavg()[0],
  createsPerSecond: Math.round(count / (createMs / 1000)),
  memory: { idle, afterCreates, afterGc, quiet, end },
  rssPerObjectBytes: { afterCreates: per(afterCreates), afterGc: per(afterGc), quiet: per(quiet), end: per(end) },
  heapPerObjectBytes: Math.round(((afterGc.heapUsedMiB - idle.heapUsedMiB) * 2 ** 20) / count),
  listNamespace: { items: count / 4, bytes: listBytes, p50Ms: lists[10], p99Ms: lists[19], cpuP50Ms: listCpu[10] },
}, null, 2)}\n`);
