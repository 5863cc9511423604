import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifests, readManifests } from './manifests.ts';
import { UsageError } from '../client/cli-errors.ts';

test('reads multi-document YAML, skipping empty documents', () => {
  const objs = parseManifests('---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n', 'f.yaml');
  assert.deepEqual(objs.map((o) => [(o.object.metadata as { name: string }).name, o.source]), [['a', 'f.yaml'], ['b', 'f.yaml']]);
});

test('reads JSON and expands List kinds into their items', () => {
  const objs = parseManifests(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }] }), 'l.json');
  assert.equal(objs.length, 1);
  assert.equal(objs[0]?.object.kind, 'Namespace');
});

test('refuses objects without apiVersion or kind, and broken YAML, naming the source', () => {
  assert.throws(() => parseManifests('kind: Namespace\n', 'f.yaml'), (e: unknown) => e instanceof UsageError && /f\.yaml: apiVersion not set/.test(e.message));
  assert.throws(() => parseManifests('a: [\n', 'g.yaml'), /error parsing g\.yaml/);
});

test('-f - reads stdin, and naming nothing is an error', async () => {
  const objs = await readManifests(['-'], async () => 'apiVersion: v1\nkind: Namespace\nmetadata: {name: s}\n');
  assert.equal(objs[0]?.source, 'STDIN');
  await assert.rejects(readManifests([], async () => ''), /must specify one of -f/);
  await assert.rejects(readManifests(['/nonexistent/x.yaml'], async () => ''), /the path "\/nonexistent\/x.yaml" does not exist/);
});
