// CPU cost of managedFields bookkeeping on an ordinary write: the seed VMI created through the
// in-process API (so it carries the managedFields a create gives it), then N merge-patch label
// updates' `recordUpdate` timed by process CPU (the machine is shared: wall time is noise).
// Usage: node --expose-gc --import tsx bench/managed-fields.ts [N] [--rounds=R] [--only=creator|patcher|a third]
//   [--compare=DIR]: also time DIR's src/api/field-managers.ts (a checkout of another commit), round by round.
import { loadavg } from 'node:os';
import { rmSync } from 'node:fs';
import { inProcessApi, benchVmi, nsVmis, name } from './inprocess-api.ts';
import { resolve } from 'node:path';
import { recordUpdate } from '../src/api/field-managers.ts';
import { asRequested, resourceCall, type ApiContext } from '../src/api/objects.ts';
import { apiRequest } from '../src/api/handler-fixture.ts';
import { kindByResource } from '../src/resources/kinds.ts';
import type { StoredObject } from '../src/store/types.ts';

const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 2000);
const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 9);
const compare = process.argv.find((a) => a.startsWith('--compare='))?.slice(10);
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const api = inProcessApi('pxevirt-mf-bench-');
try {
  await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-0' } });
  await api.call('POST', nsVmis('bench-0'), benchVmi(0));
  // One label patch by a second manager, so the object has two entries (the creator's and a patcher's).
  await api.call('PATCH', `${nsVmis('bench-0')}/${name(0)}?fieldManager=labeller`, { metadata: { labels: { seen: 'yes' } } }, 'application/merge-patch+json');
  const stored = api.store.get({ group: 'kubevirt.io', resource: 'virtualmachineinstances' }, 'bench-0', name(0));
  const kind = kindByResource('kubevirt.io', 'virtualmachineinstances')!;
  const call = resourceCall({ type: 'resource', group: 'kubevirt.io', version: 'v1', namespace: 'bench-0', resource: 'virtualmachineinstances', name: name(0), watch: false }, kind);
  type RecordUpdate = typeof recordUpdate;
  const ctx = { now: () => Date.parse('2026-12-06T06:00:00Z') } as unknown as ApiContext;
  const entries = (stored.metadata.managedFields ?? []) as Array<{ manager: string }>;
  const all: Array<[string, string | undefined]> = [
    ['creator (the bench: create and patch by one client)', undefined],
    ['patcher (the entry of another manager)', 'labeller'],
    ['a third manager (a new entry)', 'third'],
  ];
  const cases = all.filter(([what]) => only === undefined || what.startsWith(only));
  console.log(`managedFields: ${entries.length} entries (${entries.map((e) => e.manager).join(', ')}), ${JSON.stringify(entries).length} bytes; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const old = asRequested(call, stored) as StoredObject;
  /** CPU µs per recordUpdate for `n` label patches as `manager`. */
  const round = (manager: string | undefined, recordUpdate: RecordUpdate): number => {
    const url = `${nsVmis('bench-0')}/${name(0)}${manager ? `?fieldManager=${manager}` : ''}`;
    const req = apiRequest('PATCH', url, { token: 't', contentType: 'application/merge-patch+json' });
    // What patchObject hands finishUpdate: a clone of the stored object with the label set.
    const nexts = Array.from({ length: n }, (_, i) => {
      const next = structuredClone(old) as unknown as Record<string, unknown>;
      (next.metadata as { labels: Record<string, string> }).labels['bench-seq'] = String(i);
      return next;
    });
    // Collected now, the clones' garbage is not charged to the calls (run with --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = process.cpuUsage();
    for (const next of nexts) recordUpdate(ctx, call, req, old, next);
    const used = process.cpuUsage(t0);
    return (used.user + used.system) / n;
  };
  // Rounds interleave the cases and the implementations (the machine is shared: what a round
  // costs moves with the load, the ratio of neighbouring rounds much less); round 0 warms the JIT.
  const impls: Array<[string, RecordUpdate]> = [['this tree', recordUpdate]];
  if (compare) impls.push([compare, ((await import(resolve(compare, 'src/api/field-managers.ts'))) as { recordUpdate: RecordUpdate }).recordUpdate]);
  const samples = cases.map(() => impls.map(() => [] as number[]));
  for (let r = 0; r < rounds + 1; r++) {
    cases.forEach(([, manager], c) => impls.forEach(([, fn], i) => (r === 0 ? round(manager, fn) : samples[c]![i]!.push(round(manager, fn)))));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  cases.forEach(([what], c) => {
    const cells = impls.map(([label], i) => `${label} ${median(samples[c]![i]!).toFixed(1)} µs (min ${Math.min(...samples[c]![i]!).toFixed(1)})`);
    const ratio = impls.length > 1 ? `; ratio of neighbouring rounds, median ${median(samples[c]![0]!.map((x, r) => x / samples[c]![1]![r]!)).toFixed(2)}` : '';
    console.log(`${what}: CPU per recordUpdate, median of ${rounds} rounds of ${n}: ${cells.join(', ')}${ratio}`);
  });
  console.log(`load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  api.store.close?.();
  rmSync(api.dir, { recursive: true, force: true });
}
