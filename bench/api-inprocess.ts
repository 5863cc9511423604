// The API's own cost, without TLS, sockets or client processes: the daemon's handler with its
// MAC and instancetype admission over a real store (group commit) in this process, driven as a
// function. 10,000 VMIs created, 100 in-process watchers (their lines counted, not sent), 1,000
// label patches 16 at a time; CPU time per patch, list time, heap per stored object after a GC.
// Separates the server's work from bench/api.ts's clients, which share the machine's cores.
//   node --import tsx bench/api-inprocess.ts [COUNT]     prints JSON
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { benchVmi, inProcessApi, name, ns, nsVmis } from './inprocess-api.ts';
import { runInNewContext } from 'node:vm';
import { RawJson, isStream } from '../src/api/http-types.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const count = Number(process.argv[2] ?? 10_000);
const watchers = 100;
const updates = 1_000;
const concurrency = 16;
const { dir, store, handler, call } = inProcessApi('pxevirt-bench-inproc-');
const body = benchVmi;
async function pool(n: number, width: number, op: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => { while (next < n) await op(next++); }));
}
const ms = (from: [number, number]) => { const d = process.hrtime(from); return d[0] * 1e3 + d[1] / 1e6; };
// Phases on the monotonic clock (µs), to cut a --cpu-prof profile: node bench/profile-summary.mjs FILE N FROM TO.
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const windows: Record<string, { fromUs: number; toUs: number }> = {};

for (let k = 0; k < 4; k++) await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${k}` } });
gc();
const heap0 = process.memoryUsage().heapUsed;
let t = process.hrtime();
let cpu = process.cpuUsage();
windows.create = { fromUs: nowUs(), toUs: 0 };
await pool(count, concurrency, (i) => call('POST', nsVmis(ns(i)), body(i)));
windows.create.toUs = nowUs();
const create = { wallMs: ms(t), cpuMsPer: (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e3 / count };
gc();
const heapPerObject = (process.memoryUsage().heapUsed - heap0) / count;
const storedBytes = (store.get({ group: 'kubevirt.io', resource: 'virtualmachineinstances' }, 'bench-0', name(0)) && JSON.stringify(store.get({ group: 'kubevirt.io', resource: 'virtualmachineinstances' }, 'bench-0', name(0))).length);

const lists: number[] = [];
for (let k = 0; k < 20; k++) {
  t = process.hrtime();
  const r = await call('GET', nsVmis(ns(k)));
  if (!(r.body instanceof RawJson)) throw new Error('expected a raw list');
  lists.push(ms(t));
}
lists.sort((a, b) => a - b);

let lines = 0;
const aborts: AbortController[] = [];
for (let w = 0; w < watchers; w++) {
  const a = new AbortController();
  aborts.push(a);
  const r = handler({ method: 'GET', path: '/apis/kubevirt.io/v1/virtualmachineinstances', query: new URLSearchParams(`watch=true&labelSelector=bench&resourceVersion=${store.currentResourceVersion()}`), headers: { authorization: 'Bearer t' }, signal: a.signal });
  if (!isStream(r.body)) throw new Error('expected a watch');
  // A batch's lines arrive as one chunk (durableWriter): count the lines, not the chunks.
  r.body.stream((chunk) => {
    for (let at = chunk.indexOf('\n'); at >= 0; at = chunk.indexOf('\n', at + 1)) lines++;
  }, () => undefined, a.signal);
}
t = process.hrtime();
cpu = process.cpuUsage();
windows.patch = { fromUs: nowUs(), toUs: 0 };
await pool(updates, concurrency, (seq) => {
  const i = (seq * 7919) % count;
  return call('PATCH', `${nsVmis(ns(i))}/${name(i)}`, { metadata: { labels: { 'bench-seq': String(seq) } } }, 'application/merge-patch+json');
});
const patchWall = ms(t);
windows.patch.toUs = nowUs();
const c = process.cpuUsage(cpu);
await store.durable();
for (const a of aborts) a.abort();
if (lines !== watchers * updates) throw new Error(`expected ${watchers * updates} watch lines, found ${lines}`);
store.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({
  objects: count,
  loadAverage: loadavg()[0],
  storedBytes,
  create,
  heapPerObjectBytes: Math.round(heapPerObject),
  listNamespaceMs: { p50: lists[10], p99: lists[19] },
  windowsUs: windows,
  patch: { perSecond: Math.round(updates / (patchWall / 1000)), cpuMsPerPatch: (c.user + c.system) / 1e3 / updates, watchLines: lines },
}, null, 2)}\n`);
