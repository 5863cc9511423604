import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidV5 } from './uuid.ts';

test('matches the RFC 4122 DNS-namespace example for python.org', () => {
  // uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org') in Python.
  assert.equal(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
});

test('is stable for a name and differs between names', () => {
  const ns = '6a1a24a1-4061-4607-8bf4-a3963d0c5895';
  assert.equal(uuidV5(ns, 'vm-a'), uuidV5(ns, 'vm-a'));
  assert.notEqual(uuidV5(ns, 'vm-a'), uuidV5(ns, 'vm-b'));
  assert.match(uuidV5(ns, 'vm-a'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('refuses a namespace that is not a UUID', () => {
  assert.throws(() => uuidV5('nope', 'x'), /expected a namespace UUID/);
});
