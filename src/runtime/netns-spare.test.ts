import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSpareNetns, staleSpares } from './netns-spare.ts';

test('a spare is stale only under its prefix, in its exact shape, and when its daemon has ended', () => {
  const dead = new Set([111, 333]);
  const isAlive = (pid: number) => !dead.has(pid);
  const names = ['pxv-spare-111-ab12', 'pxv-spare-222-ab12', 'pxv-spare-333-zz12', 'pxv-spare-333-00ff', 'pxv.spare-111-ab12', 'pxvXspare-111-ab12', 'other-spare-111-ab12', 'pxv-0123abcd', 'pxv-spare-111-ab12x'];
  assert.deepEqual(staleSpares('pxv-', names, isAlive), ['pxv-spare-111-ab12', 'pxv-spare-333-00ff']);
  // A prefix's dot is a dot, not any character.
  assert.deepEqual(staleSpares('p.v-', ['pxv-spare-111-ab12', 'p.v-spare-111-ab12'], isAlive), ['p.v-spare-111-ab12']);
});

test('a spare is told from a pod by its name', () => {
  assert.equal(isSpareNetns('pxv-spare-111-ab12'), true);
  assert.equal(isSpareNetns('pxst1a2bvspare-4242-00ff'), true);
  // A pod: the prefix and the first 8 characters of the uid.
  for (const pod of ['pxv-0123abcd', 'pxv-spare-11', 'pxv-spare-111-ab12x', 'pxv-spare-111-AB12']) assert.equal(isSpareNetns(pod), false, pod);
});
