import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryIndex, ResourceIndex } from './memory-index.ts';

const key = (namespace: string, name: string) => ({ namespace, name, labels: undefined });
const json = (namespace: string, name: string) => `{"n":"${namespace}/${name}"}`;
const names = (it: Iterable<{ namespace: string; name: string }>) => [...it].map((e) => `${e.namespace}/${e.name}`);

function filled(): ResourceIndex {
  const index = new ResourceIndex();
  for (const [ns, n] of [['b', 'x'], ['a', 'z'], ['ab', 'a'], ['a', 'a'], ['b', 'a'], ['a', 'm']] as const) index.put(key(ns, n), json(ns, n));
  return index;
}

test('keeps entries in (namespace, name) order whatever the insertion order', () => {
  assert.deepEqual(names(filled().after(undefined, { namespace: '', name: '' })), ['a/a', 'a/m', 'a/z', 'ab/a', 'b/a', 'b/x']);
});

test('lists one namespace, not a longer one that shares its prefix', () => {
  const index = filled();
  assert.deepEqual(names(index.after('a', { namespace: '', name: '' })), ['a/a', 'a/m', 'a/z']);
  assert.equal(index.countAfter('a', { namespace: '', name: '' }), 3);
});

test('continues strictly after a position, across namespaces or within one', () => {
  const index = filled();
  assert.deepEqual(names(index.after(undefined, { namespace: 'a', name: 'z' })), ['ab/a', 'b/a', 'b/x']);
  assert.deepEqual(names(index.after('a', { namespace: 'a', name: 'a' })), ['a/m', 'a/z']);
  assert.equal(index.countAfter(undefined, { namespace: 'a', name: 'm' }), 4);
  assert.deepEqual(names(index.after('a', { namespace: 'b', name: '' })), []);
});

test('replaces in place and removes', () => {
  const index = filled();
  index.put(key('a', 'm'), '"new"');
  assert.equal(index.get('a', 'm')?.bytes.toString(), '"new"');
  assert.equal(index.size, 6);
  index.remove('a', 'm');
  index.remove('a', 'missing');
  assert.equal(index.get('a', 'm'), undefined);
  assert.deepEqual(names(index.after('a', { namespace: '', name: '' })), ['a/a', 'a/z']);
});

test("holds each object as its UTF-8 bytes, and a replaced version's bytes stay readable where they were handed out", () => {
  const index = new ResourceIndex();
  index.put(key('a', 'x'), '{"name":"vmi-ä"}');
  const before = index.get('a', 'x')!.bytes;
  assert.equal(before.length, 17);
  assert.equal(before.toString(), '{"name":"vmi-ä"}');
  index.put(key('a', 'x'), '{"name":"vmi-b"}');
  assert.equal(index.get('a', 'x')!.bytes.toString(), '{"name":"vmi-b"}');
  assert.equal(before.toString(), '{"name":"vmi-ä"}', 'slabs are never overwritten');
});

test("a MemoryIndex's resources share one set of slabs, and its compaction moves every resource's objects", () => {
  const memory = new MemoryIndex();
  const vmis = memory.table('kubevirt.io', 'virtualmachineinstances');
  const vms = memory.table('kubevirt.io', 'virtualmachines');
  const big = 'x'.repeat(1000);
  // 3,000 objects of ~1 KB fill about three 1 MiB slabs; replacing every VMI four times would hold 3× the live bytes without compaction.
  for (let i = 0; i < 1500; i++) vmis.put(key('a', `vmi-${i}`), `"${big}${i}"`), vms.put(key('a', `vm-${i}`), `"${big}${i}"`);
  for (let round = 0; round < 4; round++) for (let i = 0; i < 1500; i++) vmis.put(key('a', `vmi-${i}`), `"${big}${i}-${round}"`);
  for (let i = 0; i < 1500; i += 149) {
    assert.equal(JSON.parse(vms.get('a', `vm-${i}`)!.bytes.toString()), `${big}${i}`);
    assert.equal(JSON.parse(vmis.get('a', `vmi-${i}`)!.bytes.toString()), `${big}${i}-3`);
  }
  const { usedBytes, deadBytes } = memory.slabs.stats();
  const live = [...vmis.entries(), ...vms.entries()].reduce((n, e) => n + e.length, 0);
  assert.equal(usedBytes - deadBytes, live, 'live bytes are counted exactly');
  assert.ok(usedBytes <= 2 * (usedBytes - deadBytes) + 2 ** 20, `at most twice the live bytes plus the slab being filled (used ${usedBytes}, dead ${deadBytes})`);
});
