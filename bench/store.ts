// The object store alone: create, get, list and update latency (p50/p99) and throughput with
// 10,000 VMI-sized objects stored, and one write fanned out to 100 watchers.
//   node --import tsx bench/store.ts [COUNT]        prints the JSON result
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSqliteStore } from '../src/store/sqlite-store.ts';
import type { Synchronous } from '../src/store/sqlite-schema.ts';
import type { ObjectStore } from '../src/store/types.ts';
import { DURABILITY_KEY as VMI, durabilityObject } from '../test/store/durability-object.ts';

export interface LatencyFigure {
  operations: number;
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
}

export interface StoreBenchResult {
  name: 'store';
  objects: number;
  objectBytes: number;
  synchronous: Synchronous;
  databaseBytes: number;
  create: LatencyFigure;
  /** The same creates with synchronous=NORMAL (no fsync): what FULL costs. */
  createNoFsync: LatencyFigure;
  get: LatencyFigure;
  update: LatencyFigure;
  /** Every object, one list. */
  listAll: LatencyFigure;
  /** Pages of 500 (what kubectl and informers ask for). */
  listPage: LatencyFigure;
  /** One namespace of 100 objects by label selector. */
  listSelected: LatencyFigure;
  /** One update delivered to 100 watchers of the resource. */
  watchFanout: LatencyFigure & { watchers: number; deliveries: number };
}

function figure(samplesMs: number[]): LatencyFigure {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const total = samplesMs.reduce((a, b) => a + b, 0);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return { operations: samplesMs.length, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), perSecond: Math.round(samplesMs.length / (total / 1000)) };
}

function time(operations: number, fn: (i: number) => void): number[] {
  const samples: number[] = [];
  for (let i = 0; i < operations; i++) {
    const start = performance.now();
    fn(i);
    samples.push(performance.now() - start);
  }
  return samples;
}

const nameOf = (i: number) => `vm-${String(i).padStart(5, '0')}`;
const namespaceOf = (i: number) => `ns-${i % 100}`;

function fill(store: ObjectStore, count: number): number[] {
  return time(count, (i) => {
    const object = durabilityObject(nameOf(i));
    object.metadata.namespace = namespaceOf(i);
    object.metadata.labels = { ...object.metadata.labels, parity: i % 2 === 0 ? 'even' : 'odd' };
    store.create(VMI, object);
  });
}

/** Runs the store benchmark in a temp directory. */
export function benchStore(options: { objects?: number; synchronous?: Synchronous } = {}): StoreBenchResult {
  const count = options.objects ?? 10_000;
  const synchronous = options.synchronous ?? 'FULL';
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-bench-store-'));
  try {
    const fast = openSqliteStore({ path: join(dir, 'normal.db'), synchronous: 'NORMAL' });
    const createNoFsync = figure(fill(fast, Math.min(count, 2_000)));
    fast.close();

    const path = join(dir, 'store.db');
    const store = openSqliteStore({ path, synchronous });
    const create = figure(fill(store, count));
    const get = figure(time(5_000, (i) => store.get(VMI, namespaceOf((i * 7919) % count), nameOf((i * 7919) % count))));
    const update = figure(time(2_000, (i) => {
      const object = store.get(VMI, namespaceOf(i % count), nameOf(i % count));
      store.update(VMI, { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, touched: String(i) } } });
    }));
    const listAll = figure(time(10, () => store.list(VMI)));
    const listPage = figure(time(50, (i) => {
      let page = store.list(VMI, { limit: 500 });
      for (let k = 0; k < i % 20 && page.continue; k++) page = store.list(VMI, { limit: 500, continue: page.continue });
    }).map((ms, i) => ms / (1 + (i % 20))));
    const listSelected = figure(time(200, (i) => store.list(VMI, { namespace: namespaceOf(i), labelSelector: 'parity=even' })));

    const watchers = 100;
    let deliveries = 0;
    const controllers = Array.from({ length: watchers }, () => new AbortController());
    for (const c of controllers) store.watch(VMI, { resourceVersion: store.currentResourceVersion() }, () => deliveries++, c.signal);
    const watchFanout = { ...figure(time(500, (i) => {
      const object = store.get(VMI, namespaceOf(i), nameOf(i));
      store.update(VMI, { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, fanout: String(i) } } });
    })), watchers, deliveries };
    for (const c of controllers) c.abort();
    store.close();
    const objectBytes = JSON.stringify(durabilityObject(nameOf(0))).length;
    return { name: 'store', objects: count, objectBytes, synchronous, databaseBytes: statSync(path).size, create, createNoFsync, get, update, listAll, listPage, listSelected, watchFanout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const objects = process.argv[2] ? Number(process.argv[2]) : undefined;
  process.stdout.write(`${JSON.stringify(benchStore(objects ? { objects } : {}), null, 2)}\n`);
}
