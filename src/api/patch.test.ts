import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.ts';
import { applyPatch, mergePatch } from './patch.ts';

const current = { metadata: { name: 'x', labels: { a: '1', b: '2' } }, spec: { list: [1, 2], keep: true } };
const body = (v: unknown) => Buffer.from(JSON.stringify(v));

test('merge patch merges objects, replaces lists and deletes with null (RFC 7386)', () => {
  assert.deepEqual(mergePatch(current, { metadata: { labels: { a: null, c: '3' } }, spec: { list: [9] } }), {
    metadata: { name: 'x', labels: { b: '2', c: '3' } },
    spec: { list: [9], keep: true },
  });
});

test('applies a JSON patch and leaves the input untouched', () => {
  const out = applyPatch(current, body([{ op: 'add', path: '/metadata/labels/z', value: '26' }, { op: 'remove', path: '/spec/keep' }]), 'application/json-patch+json');
  assert.deepEqual(out, { metadata: { name: 'x', labels: { a: '1', b: '2', z: '26' } }, spec: { list: [1, 2] } });
  assert.equal(current.spec.keep, true);
});

test('a failing JSON patch test operation is a 422', () => {
  assert.throws(
    () => applyPatch(current, body([{ op: 'test', path: '/metadata/name', value: 'y' }]), 'application/json-patch+json'),
    (err: unknown) => err instanceof ApiError && err.code === 422,
  );
});

test('a JSON patch moving a location into one of its children is a 422 naming both pointers, the root included (RFC 6902 4.4)', () => {
  for (const [from, path] of [['', '/'], ['', '/spec/x'], ['/spec', '/spec/list/0']]) {
    assert.throws(
      () => applyPatch(current, body([{ op: 'move', from, path }]), 'application/json-patch+json'),
      (err: unknown) => err instanceof ApiError && err.code === 422 && err.message.includes(`"from" ${JSON.stringify(from)} is a proper prefix of "path" ${JSON.stringify(path)}`),
    );
  }
  // A move to a sibling whose name only starts the same is not into a child.
  const out = applyPatch(current, body([{ op: 'move', from: '/spec/keep', path: '/spec/keeper' }]), 'application/json-patch+json');
  assert.deepEqual(out.spec, { list: [1, 2], keeper: true });
});

test('a strategic merge patch is applied as a merge patch, without $ directives', () => {
  const out = applyPatch(current, body({ metadata: { labels: { $patch: 'replace', c: '3' } } }), 'application/strategic-merge-patch+json');
  assert.deepEqual((out.metadata as { labels: unknown }).labels, { a: '1', b: '2', c: '3' });
});

test('unknown patch types are 415 with a message saying what is accepted', () => {
  assert.throws(() => applyPatch(current, body({}), 'text/plain'), (err: unknown) => err instanceof ApiError && err.code === 415 && /application\/merge-patch\+json/.test(err.message));
});

test('a malformed patch body is a 400 naming the parser error', () => {
  assert.throws(() => applyPatch(current, Buffer.from('{oops'), 'application/merge-patch+json'), (err: unknown) => err instanceof ApiError && err.code === 400 && /error decoding JSON body/.test(err.message));
});

test('JSON patch copies are bounded: doubling a subtree 22 times is a 422 before the document grows', () => {
  const ops: unknown[] = [{ op: 'add', path: '/spec/bomb', value: ['x'.repeat(100)] }];
  for (let i = 0; i < 22; i++) ops.push({ op: 'copy', from: '/spec/bomb', path: '/spec/bomb/-' });
  // 2^22 copies of 100 bytes would be 400 MiB: the 422 naming the 3 MiB limit shows the copy was refused, not built.
  assert.throws(() => applyPatch(current, body(ops), 'application/json-patch+json'), (err: unknown) => err instanceof ApiError && err.code === 422 && /exceeding the limit 3145728/.test(err.message));
});

test('a JSON patch of more than 10000 operations is a 413', () => {
  const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/metadata/name', value: 'x' }));
  assert.throws(() => applyPatch(current, body(ops), 'application/json-patch+json'), (err: unknown) => err instanceof ApiError && err.code === 413);
});

test('a merge patch with __proto__ keys sets fields named __proto__: no object gets a new prototype, Object.prototype is untouched', () => {
  const patch = Buffer.from('{"__proto__":{"polluted":"yes"},"metadata":{"__proto__":{"deletionTimestamp":"2026-01-01T00:00:00Z"}}}');
  for (const type of ['application/merge-patch+json', 'application/strategic-merge-patch+json']) {
    const out = applyPatch(current, patch, type);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(Object.getPrototypeOf(out.metadata), Object.prototype);
    assert.equal((out.metadata as Record<string, unknown>).deletionTimestamp, undefined, 'nothing inherited from a patched prototype');
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { polluted: 'yes' }, 'an own field, as JSON.parse makes it');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  }
});
