import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Schema } from '../../resources/kind.ts';
import { ApplyConflictError, mergeInto, serverSideApply, trackUpdate } from './apply.ts';
import { joinPath } from './field-path.ts';
import type { FieldManager } from './managed-fields.ts';

const SCHEMA: Schema = {
  type: 'object',
  properties: {
    spec: { type: 'object', properties: { ports: { type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] } } },
  },
};
const all = () => true;
const apply = (live: Record<string, unknown> | undefined, applied: Record<string, unknown>, managers: FieldManager[], manager: string, force = false) =>
  serverSideApply({ live, applied, schema: SCHEMA, managers, manager, apiVersion: 'v1', force, time: 't', tracked: all });
const owned = (managers: FieldManager[], name: string) => [...(managers.find((m) => m.manager === name)?.fields ?? [])].sort();

test('a first apply creates the object and owns exactly what it set', () => {
  const r = apply(undefined, { spec: { a: 1, ports: [{ name: 'http', port: 80 }] } }, [], 'm');
  assert.deepEqual(r.object, { spec: { a: 1, ports: [{ name: 'http', port: 80 }] } });
  assert.deepEqual(owned(r.managers, 'm'), [
    joinPath(['f:spec', 'f:a']),
    joinPath(['f:spec', 'f:ports', 'k:{"name":"http"}']),
    joinPath(['f:spec', 'f:ports', 'k:{"name":"http"}', 'f:name']),
    joinPath(['f:spec', 'f:ports', 'k:{"name":"http"}', 'f:port']),
  ]);
});

test('two appliers share a list-map by key; a field one stops applying is removed, the other\'s stays', () => {
  let r = apply(undefined, { spec: { ports: [{ name: 'http', port: 80 }] } }, [], 'a');
  r = apply(r.object, { spec: { ports: [{ name: 'dns', port: 53 }] } }, r.managers, 'b');
  assert.deepEqual((r.object.spec as { ports: unknown[] }).ports, [{ name: 'http', port: 80 }, { name: 'dns', port: 53 }]);
  r = apply(r.object, { spec: {} }, r.managers, 'a');
  assert.deepEqual((r.object.spec as { ports: unknown[] }).ports, [{ name: 'dns', port: 53 }]);
  assert.deepEqual(owned(r.managers, 'a'), [joinPath(['f:spec'])], 'an empty struct applied is owned as one field');
});

test('a different value on another manager\'s field conflicts with kube-apiserver\'s wording; the same value is shared', () => {
  const first = apply(undefined, { spec: { a: 1, b: 2 } }, [], 'first');
  assert.throws(
    () => apply(first.object, { spec: { a: 9 } }, first.managers, 'second'),
    (err: unknown) => err instanceof ApplyConflictError && err.message === 'Apply failed with 1 conflict: conflict with "first": .spec.a',
  );
  assert.throws(
    () => apply(first.object, { spec: { a: 9, b: 8 } }, first.managers, 'second'),
    (err: unknown) => err instanceof ApplyConflictError && err.message === 'Apply failed with 2 conflicts: conflicts with "first":\n- .spec.a\n- .spec.b',
  );
  const shared = apply(first.object, { spec: { a: 1 } }, first.managers, 'second');
  assert.deepEqual(owned(shared.managers, 'second'), [joinPath(['f:spec', 'f:a'])]);
  assert.equal(owned(shared.managers, 'first').length, 2);
});

test('force takes the conflicting fields from their owner', () => {
  const first = apply(undefined, { spec: { a: 1, b: 2 } }, [], 'first');
  const forced = apply(first.object, { spec: { a: 9 } }, first.managers, 'second', true);
  assert.deepEqual(forced.object, { spec: { a: 9, b: 2 } });
  assert.deepEqual(owned(forced.managers, 'first'), [joinPath(['f:spec', 'f:b'])]);
});

test('an Update takes the fields it changed from an applier, who then conflicts on them with an Update manager named with version and time', () => {
  const first = apply(undefined, { spec: { a: 1, b: 2 } }, [], 'applier');
  const managers = trackUpdate({ old: first.object, next: { spec: { a: 5, b: 2 } }, schema: SCHEMA, managers: first.managers, manager: 'kubectl-edit', apiVersion: 'v1', time: '2026-12-05T07:00:00Z', tracked: all });
  assert.deepEqual(owned(managers, 'kubectl-edit'), [joinPath(['f:spec', 'f:a'])]);
  assert.deepEqual(owned(managers, 'applier'), [joinPath(['f:spec', 'f:b'])]);
  assert.throws(
    () => apply({ spec: { a: 5, b: 2 } }, { spec: { a: 1, b: 2 } }, managers, 'other'),
    (err: unknown) => err instanceof ApplyConflictError && /conflict with "kubectl-edit" using v1 at 2026-12-05T07:00:00Z: \.spec\.a/.test(err.message),
  );
});

test('re-applying the same configuration leaves managers (and their times) as they were', () => {
  const first = apply(undefined, { spec: { a: 1 } }, [], 'm');
  const again = serverSideApply({ live: first.object, applied: { spec: { a: 1 } }, schema: SCHEMA, managers: first.managers, manager: 'm', apiVersion: 'v1', force: false, time: 'later', tracked: all });
  assert.deepEqual(again.object, first.object);
  assert.equal(again.managers[0]?.time, 't');
});

test('conflicts on fields client-side apply last applied are allowed when given', () => {
  const csa = trackUpdate({ old: undefined, next: { spec: { a: 1 } }, schema: SCHEMA, managers: [], manager: 'kubectl-client-side-apply', apiVersion: 'v1', time: 't', tracked: all });
  const r = serverSideApply({ live: { spec: { a: 1 } }, applied: { spec: { a: 2 } }, schema: SCHEMA, managers: csa, manager: 'kubectl', apiVersion: 'v1', force: false, time: 't', tracked: all, allowed: new Set([joinPath(['f:spec', 'f:a'])]) });
  assert.deepEqual(r.object, { spec: { a: 2 } });
});

test('any sequence of applies by several managers leaves every field a manager owns in the object (property)', async () => {
  const { default: fc } = await import('fast-check');
  const { splitPath, valueAt } = await import('./field-path.ts');
  const config = fc.record(
    {
      spec: fc.record(
        {
          a: fc.integer({ min: 0, max: 2 }),
          b: fc.constantFrom('x', 'y'),
          ports: fc.uniqueArray(fc.record({ name: fc.constantFrom('http', 'dns', 'ssh'), port: fc.integer({ min: 1, max: 3 }) }), { selector: (p) => p.name, maxLength: 3 }),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  );
  // Found by this test: an applier that had owned the empty `spec` struct and stopped applying it removed spec with another manager's ports inside.
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('m1', 'm2', 'm3'), config, fc.boolean()), { maxLength: 8 }), (steps) => {
      let live: Record<string, unknown> | undefined;
      let managers: FieldManager[] = [];
      for (const [manager, applied, force] of steps) {
        try {
          ({ object: live, managers } = apply(live, applied, managers, manager, force));
        } catch (err) {
          if (!(err instanceof ApplyConflictError)) throw err;
          assert.equal(force, false, 'a forced apply never conflicts');
        }
        for (const m of managers) for (const k of m.fields) assert.notEqual(valueAt(live, splitPath(k)), undefined, `${m.manager} owns ${k.replaceAll('\u0000', ' ')}, which is gone`);
      }
    }),
    { numRuns: 1000 },
  );
});

test('an Update lists only the changed top-level fields yet gives the same managers as walking both objects whole', async () => {
  const { fieldsOf, splitPath, valueAt } = await import('./field-path.ts');
  const { withEntry, sameEntry } = await import('./managed-fields.ts');
  // The tracking rule the API uses: managedFields and server-set metadata are never tracked.
  const tracked = (path: string[]) => path[0] !== 'f:apiVersion' && !(path[0] === 'f:metadata' && ['f:managedFields', 'f:resourceVersion'].includes(path[1] ?? ''));
  const tracks = (o: Record<string, unknown> | undefined) => new Set([...(o ? fieldsOf(o, SCHEMA) : [])].filter((k) => tracked(splitPath(k))));
  const equal = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  // The walk of both whole objects, as trackUpdate did before.
  const reference = (old: Record<string, unknown> | undefined, next: Record<string, unknown>, managers: FieldManager[], manager: string): FieldManager[] => {
    const before = tracks(old);
    const after = tracks(next);
    const changed = [...after].filter((k) => !before.has(k) || !equal(valueAt(old, splitPath(k)), valueAt(next, splitPath(k))));
    const removed = [...before].filter((k) => !after.has(k));
    if (changed.length === 0 && removed.length === 0) return [...managers];
    const gone = new Set([...changed, ...removed]);
    const self = { manager, operation: 'Update' as const };
    let out = managers.map((m) => (sameEntry(m, self) ? m : { ...m, fields: new Set([...m.fields].filter((k) => !gone.has(k))) }));
    const mine = out.find((m) => sameEntry(m, self))?.fields ?? new Set<string>();
    out = withEntry(out, { ...self, apiVersion: 'v1', time: 't2', fields: new Set([...mine, ...changed].filter((k) => after.has(k))) });
    return out.filter((m) => m.fields.size > 0);
  };
  const base = { apiVersion: 'v1', metadata: { labels: { a: '1' }, resourceVersion: '5', managedFields: [{ manager: 'x' }] }, spec: { a: 1, ports: [{ name: 'http', port: 80 }] } };
  const created = trackUpdate({ old: undefined, next: base, schema: SCHEMA, managers: [], manager: 'creator', apiVersion: 'v1', time: 't', tracked });
  const cases: Array<[string, Record<string, unknown>]> = [
    ['a label patch', { ...base, metadata: { ...base.metadata, labels: { a: '2', b: '3' }, resourceVersion: '6' } }],
    ['a spec change', { ...base, spec: { a: 2, ports: [{ name: 'http', port: 80 }] } }],
    ['a removed field', { ...base, spec: { ports: [{ name: 'http', port: 81 }] } }],
    ['a new top-level field', { ...base, status: { phase: 'Running' } }],
    ['metadata emptied', { ...base, metadata: {} }],
    ['only untracked metadata', { ...base, metadata: { ...base.metadata, resourceVersion: '7', managedFields: [] } }],
  ];
  for (const manager of ['creator', 'patcher']) {
    for (const [what, next] of cases) {
      const got = trackUpdate({ old: base, next, schema: SCHEMA, managers: created, manager, apiVersion: 'v1', time: 't2', tracked });
      const sorted = (ms: FieldManager[]) => ms.map((m) => ({ ...m, fields: [...m.fields].sort() }));
      assert.deepEqual(sorted(got), sorted(reference(base, next, created, manager)), `${what} by ${manager}`);
    }
  }
});

test('merging an applied __proto__ key sets a field of that name: Object.prototype is untouched', () => {
  const target: Record<string, unknown> = { spec: { a: 1 } };
  mergeInto(target, JSON.parse('{"__proto__":{"polluted":"yes"},"spec":{"__proto__":{"polluted":"yes"}}}') as Record<string, unknown>, undefined);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no member added to Object.prototype');
  assert.equal(Object.getPrototypeOf(target), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(target, '__proto__')?.value, { polluted: 'yes' });
  assert.deepEqual(Object.getOwnPropertyDescriptor(target.spec, '__proto__')?.value, { polluted: 'yes' });
});
