import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceIndex, ownBytes } from './memory-index.ts';

const entry = (namespace: string, name: string) => ({ namespace, name, labels: undefined, bytes: ownBytes(`{"n":"${namespace}/${name}"}`) });
const names = (it: Iterable<{ namespace: string; name: string }>) => [...it].map((e) => `${e.namespace}/${e.name}`);

function filled(): ResourceIndex {
  const index = new ResourceIndex();
  for (const [ns, n] of [['b', 'x'], ['a', 'z'], ['ab', 'a'], ['a', 'a'], ['b', 'a'], ['a', 'm']] as const) index.put(entry(ns, n));
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
  index.put({ ...entry('a', 'm'), bytes: ownBytes('"new"') });
  assert.equal(index.get('a', 'm')?.bytes.toString(), '"new"');
  assert.equal(index.size, 6);
  index.remove('a', 'm');
  index.remove('a', 'missing');
  assert.equal(index.get('a', 'm'), undefined);
  assert.deepEqual(names(index.after('a', { namespace: '', name: '' })), ['a/a', 'a/z']);
});

test('holds each object in a buffer of its own size, UTF-8', () => {
  const bytes = ownBytes('{"name":"vmi-ä"}');
  assert.equal(bytes.length, 17);
  assert.equal(bytes.buffer.byteLength, bytes.length, 'not a slice of a shared pool slab');
  assert.equal(bytes.toString(), '{"name":"vmi-ä"}');
});
