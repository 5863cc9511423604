import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Schema } from '../../resources/kind.ts';
import { trackUpdate } from './apply.ts';
import { fieldsOf, splitPath, valueAt, type FieldSet } from './field-path.ts';
import { fromFieldsV1 } from './fields-v1.ts';
import { decodeManagedFields, encodeManagedFields, sameEntry, type FieldManager } from './managed-fields.ts';

const SCHEMA: Schema = {
  type: 'object',
  properties: {
    metadata: { type: 'object', properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } } },
    spec: {
      type: 'object',
      properties: {
        ports: { type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
        tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
        selector: { type: 'object', 'x-kubernetes-map-type': 'atomic' },
      },
    },
  },
};
// Decided by the first two elements, as the API's rule is.
const tracked = (path: string[]) => path[0] !== 'f:apiVersion' && !(path[0] === 'f:metadata' && ['f:managedFields', 'f:resourceVersion'].includes(path[1] ?? ''));

// ---- The straightforward pipeline: decode every entry, walk both objects whole, encode every entry.
const sortedJson = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(sortedJson).join(',')}]` : typeof v === 'object' && v !== null ? `{${Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(',')}}` : JSON.stringify(v);
const tracks = (o: Record<string, unknown> | undefined): FieldSet => new Set([...(o ? fieldsOf(o, SCHEMA) : [])].filter((k) => tracked(splitPath(k))));
function referenceDecode(entries: unknown[]): FieldManager[] {
  return entries.flatMap((e) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return [];
    const x = e as Record<string, unknown>;
    if (typeof x.manager !== 'string' || (x.operation !== 'Apply' && x.operation !== 'Update')) return [];
    return [{ manager: x.manager, operation: x.operation, apiVersion: typeof x.apiVersion === 'string' ? x.apiVersion : '', ...(typeof x.time === 'string' ? { time: x.time } : {}), ...(typeof x.subresource === 'string' && x.subresource !== '' ? { subresource: x.subresource } : {}), fields: fromFieldsV1(x.fieldsV1) }];
  });
}
type Tree = { [k: string]: Tree };
function referenceFieldsV1(set: FieldSet): Tree {
  const root: Tree = {};
  const owned = new Set<Tree>();
  for (const key of [...set].sort()) {
    let node = root;
    for (const element of splitPath(key)) node = node[element] ??= {};
    owned.add(node);
  }
  const render = (node: Tree): Tree => {
    const out: Tree = {};
    const children = Object.keys(node).sort();
    if (owned.has(node) && children.length > 0) out['.'] = {};
    for (const child of children) out[child] = render(node[child]!);
    return out;
  };
  return render(root);
}
function referenceUpdate(old: Record<string, unknown>, next: Record<string, unknown>, entries: unknown[], manager: string, subresource: string | undefined, apiVersion: string, time: string): unknown[] {
  const managers = referenceDecode(entries);
  const before = tracks(old);
  const after = tracks(next);
  const changed = [...after].filter((k) => !before.has(k) || sortedJson(valueAt(old, splitPath(k))) !== sortedJson(valueAt(next, splitPath(k))));
  const removed = [...before].filter((k) => !after.has(k));
  let out = managers;
  if (changed.length > 0 || removed.length > 0) {
    const gone = new Set([...changed, ...removed]);
    const self = { manager, operation: 'Update' as const, ...(subresource ? { subresource } : {}) };
    out = managers.map((m) => (sameEntry(m, self) ? m : { ...m, fields: new Set([...m.fields].filter((k) => !gone.has(k))) }));
    const previous = out.find((m) => sameEntry(m, self));
    const fields = new Set([...(previous?.fields ?? []), ...changed].filter((k) => after.has(k)));
    const same = previous && previous.apiVersion === apiVersion && previous.fields.size === fields.size && [...fields].every((k) => previous.fields.has(k));
    const entry = same ? previous : { ...self, apiVersion, time, fields };
    out = previous ? out.map((m) => (m === previous ? entry : m)) : [...out, entry];
  }
  return out.filter((m) => m.fields.size > 0).map((m) => ({ manager: m.manager, operation: m.operation, apiVersion: m.apiVersion, ...(m.time ? { time: m.time } : {}), fieldsType: 'FieldsV1', fieldsV1: referenceFieldsV1(m.fields), ...(m.subresource ? { subresource: m.subresource } : {}) }));
}

// ---- Random objects, writes and stored entries (canonical, and some as a client might send them).
const object = fc.record(
  {
    metadata: fc.record({ labels: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.constantFrom('1', '2')), resourceVersion: fc.constantFrom('1', '2') }, { requiredKeys: [] }),
    spec: fc.record(
      {
        a: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constant('x')),
        b: fc.record({ c: fc.integer({ min: 0, max: 2 }), d: fc.constant({}) }, { requiredKeys: [] }),
        ports: fc.array(fc.record({ name: fc.constantFrom('http', 'dns'), port: fc.integer({ min: 1, max: 3 }) }), { maxLength: 2 }),
        tags: fc.uniqueArray(fc.constantFrom('x', 'y', 'z'), { maxLength: 3 }),
        selector: fc.dictionary(fc.constantFrom('k', 'l'), fc.constantFrom('1', '2')),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);
/** An entry as a client might write it: keys reordered, or a `.` marker on a leaf (same set, not canonical). */
function roughen(entries: unknown[], how: number): unknown[] {
  return entries.map((e, i) => {
    if (i !== how % Math.max(entries.length, 1)) return e;
    const x = e as Record<string, unknown>;
    if (how % 4 === 1) return Object.fromEntries(Object.entries(x).reverse());
    if (how % 4 === 2) return { ...x, fieldsV1: { '.': {}, ...(x.fieldsV1 as object) } };
    // Still canonical: an applier's entry, which an Update by the same name does not touch as its own.
    if (how % 4 === 3) return { ...x, operation: 'Apply' };
    return e;
  });
}

test('an Update keeping untouched entries as stored gives exactly the managedFields of decoding and encoding all of them', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(object, fc.constantFrom('m1', 'm2', 'm3'), fc.constantFrom(undefined, 'status'), fc.constantFrom('v1', 'v2'), fc.nat(7)), { minLength: 1, maxLength: 6 }), (writes) => {
      let live: Record<string, unknown> = {};
      let entries: unknown[] = [];
      writes.forEach(([next, manager, subresource, apiVersion, how], i) => {
        const given = roughen(entries, how);
        const time = `t${i}`;
        const expected = referenceUpdate(live, next, given, manager, subresource, apiVersion, time);
        const got = encodeManagedFields(trackUpdate({ old: live, next: structuredClone(next), schema: SCHEMA, managers: decodeManagedFields(given), manager, apiVersion, time, tracked, ...(subresource ? { subresource } : {}) }));
        assert.equal(JSON.stringify(got), JSON.stringify(expected), `write ${i} by ${manager}`);
        live = next;
        entries = got;
      });
    }),
    { numRuns: 2000 },
  );
});
