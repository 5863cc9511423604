import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch, createMergePatch, threeWayMergePatch } from './three-way-merge.ts';
import { LAST_APPLIED, lastApplied, withLastApplied } from './apply.ts';

const manifest = { apiVersion: 'v1', kind: 'X', metadata: { name: 'a', labels: { app: 'web' } }, spec: { size: 1, list: [1, 2] } };

test('nothing changes when the manifest is applied again over a server-defaulted object', () => {
  const modified = withLastApplied(manifest);
  const live = { ...modified, metadata: { ...(modified.metadata as Record<string, unknown>), uid: 'u', resourceVersion: '7' }, spec: { ...manifest.spec, defaulted: true }, status: { phase: 'Running' } };
  assert.deepEqual(threeWayMergePatch(lastApplied(live), withLastApplied(manifest), live), {});
});

test('a field removed from the manifest is deleted; one added by the server is kept', () => {
  const before = withLastApplied(manifest);
  const live = { ...before, spec: { ...manifest.spec, defaulted: true } };
  const next = withLastApplied({ ...manifest, metadata: { name: 'a' } });
  const patch = threeWayMergePatch(lastApplied(live), next, live);
  assert.deepEqual((patch.metadata as Record<string, unknown>).labels, null);
  assert.equal((patch.spec as Record<string, unknown> | undefined)?.defaulted, undefined);
  assert.ok(typeof ((patch.metadata as Record<string, Record<string, string>>).annotations?.[LAST_APPLIED]) === 'string');
});

test('a changed value and a changed list are sent whole', () => {
  const live = withLastApplied(manifest);
  const patch = threeWayMergePatch(lastApplied(live), withLastApplied({ ...manifest, spec: { size: 2, list: [1] } }), live);
  assert.deepEqual(patch.spec, { size: 2, list: [1] });
});

test('the last-applied annotation is the sorted compact JSON with an empty annotations map, newline-terminated', () => {
  const text = (withLastApplied(manifest).metadata as { annotations: Record<string, string> }).annotations[LAST_APPLIED];
  assert.equal(text, '{"apiVersion":"v1","kind":"X","metadata":{"annotations":{},"labels":{"app":"web"},"name":"a"},"spec":{"list":[1,2],"size":1}}\n');
});

test('createMergePatch and applyMergePatch round-trip', () => {
  const a = { x: 1, y: { z: 2, w: 3 }, gone: true };
  const b = { x: 1, y: { z: 5 }, added: [1] };
  assert.deepEqual(applyMergePatch(a, createMergePatch(a, b)), b);
});

test('__proto__ and constructor keys, in the manifest or from the server, are fields: the patch carries them and no prototype changes', () => {
  const live = JSON.parse('{"metadata":{"name":"a"},"spec":{"__proto__":{"x":1},"keep":true}}') as Record<string, unknown>;
  const manifest = JSON.parse('{"metadata":{"name":"a"},"spec":{"__proto__":{"x":2},"constructor":"c","keep":true}}') as Record<string, unknown>;
  const patch = threeWayMergePatch(undefined, manifest, live);
  assert.equal(JSON.stringify(patch), '{"spec":{"__proto__":{"x":2},"constructor":"c"}}');
  const applied = applyMergePatch(live, patch) as { spec: object };
  assert.equal(Object.getPrototypeOf(applied.spec), Object.prototype);
  assert.equal(JSON.stringify(applied), '{"metadata":{"name":"a"},"spec":{"__proto__":{"x":2},"keep":true,"constructor":"c"}}');
  assert.equal(({} as Record<string, unknown>).x, undefined);
});
