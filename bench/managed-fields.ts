// CPU cost of managedFields bookkeeping on an ordinary write: the seed VMI created through the
// in-process API (so it carries the managedFields a create gives it), then N merge-patch label
// updates' `recordUpdate` timed by process CPU (the machine is shared: wall time is noise).
// Usage: node --import tsx bench/managed-fields.ts [N] [--manager same|other]
import { loadavg } from 'node:os';
import { rmSync } from 'node:fs';
import { inProcessApi, benchVmi, nsVmis, name } from './inprocess-api.ts';
import { recordUpdate } from '../src/api/field-managers.ts';
import { asRequested, resourceCall, type ApiContext } from '../src/api/objects.ts';
import { apiRequest } from '../src/api/handler-fixture.ts';
import { kindByResource } from '../src/resources/kinds.ts';
import type { StoredObject } from '../src/store/types.ts';

const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5000);
const api = inProcessApi('pxevirt-mf-bench-');
try {
  await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-0' } });
  await api.call('POST', nsVmis('bench-0'), benchVmi(0));
  // One label patch by a second manager, so the object has two entries (the creator's and a patcher's).
  await api.call('PATCH', `${nsVmis('bench-0')}/${name(0)}?fieldManager=labeller`, { metadata: { labels: { seen: 'yes' } } }, 'application/merge-patch+json');
  const stored = api.store.get({ group: 'kubevirt.io', resource: 'virtualmachineinstances' }, 'bench-0', name(0));
  const kind = kindByResource('kubevirt.io', 'virtualmachineinstances')!;
  const call = resourceCall({ type: 'resource', group: 'kubevirt.io', version: 'v1', namespace: 'bench-0', resource: 'virtualmachineinstances', name: name(0), watch: false }, kind);
  const ctx = { now: () => Date.parse('2026-12-06T06:00:00Z') } as unknown as ApiContext;
  const entries = (stored.metadata.managedFields ?? []) as Array<{ manager: string }>;
  const cases: Array<[string, string | undefined]> = [
    ['creator (the bench: create and patch by one client)', undefined],
    ['patcher (the entry of another manager)', 'labeller'],
    ['a third manager (a new entry)', 'third'],
  ];
  console.log(`managedFields: ${entries.length} entries (${entries.map((e) => e.manager).join(', ')}), ${JSON.stringify(entries).length} bytes; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const [what, manager] of cases) {
    const url = `${nsVmis('bench-0')}/${name(0)}${manager ? `?fieldManager=${manager}` : ''}`;
    const req = apiRequest('PATCH', url, { token: 't', contentType: 'application/merge-patch+json' });
    // What patchObject hands finishUpdate: a clone of the stored object with the label set.
    const nexts = Array.from({ length: n }, (_, i) => {
      const next = structuredClone(asRequested(call, stored)) as unknown as Record<string, unknown>;
      (next.metadata as { labels: Record<string, string> }).labels['bench-seq'] = String(i);
      return next;
    });
    const old = asRequested(call, stored) as StoredObject;
    for (let i = 0; i < Math.min(200, n); i++) recordUpdate(ctx, call, req, old, structuredClone(nexts[i]!));
    const t0 = process.cpuUsage();
    for (const next of nexts) recordUpdate(ctx, call, req, old, next);
    const used = process.cpuUsage(t0);
    console.log(`${what}: ${((used.user + used.system) / n).toFixed(1)} µs CPU per recordUpdate (${n} calls)`);
  }
} finally {
  api.store.close?.();
  rmSync(api.dir, { recursive: true, force: true });
}
