import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KindInfo } from '../resources/kind.ts';
import type { StoredObject } from '../store/types.ts';
import { evaluateJsonPath } from './jsonpath.ts';
import { renderTable, wantsTable } from './table.ts';

const kind = {
  group: 'kubevirt.io',
  kind: 'VirtualMachineInstance',
  printerColumns: [
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'IP', type: 'string', jsonPath: '.status.interfaces[0].ipAddress' },
    { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
    { name: 'Paused', type: 'string', jsonPath: ".status.conditions[?(@.type=='Paused')].status", priority: 1 },
  ],
} as unknown as KindInfo;

const vmi = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'a', namespace: 'default', uid: 'u', resourceVersion: '7', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' },
  status: { phase: 'Running', interfaces: [{ ipAddress: '10.0.2.2' }], conditions: [{ type: 'LiveMigratable', status: 'False' }, { type: 'Ready', status: 'True' }] },
} as StoredObject;

test('recognises the Accept header kubectl sends for tables', () => {
  assert.deepEqual(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', null), { version: 'v1', includeObject: 'Metadata' });
  assert.deepEqual(wantsTable('application/json;as=Table;v=v1beta1;g=meta.k8s.io', 'None'), { version: 'v1beta1', includeObject: 'None' });
  assert.equal(wantsTable('application/json', null), undefined);
  assert.equal(wantsTable(undefined, null), undefined);
});

test('renders Name first, then the printer columns, ages as text and missing cells as null', () => {
  const table = renderTable(kind, [vmi], { version: 'v1', includeObject: 'Metadata' }, Date.parse('2026-01-01T00:03:20Z'), { resourceVersion: '7' }) as {
    columnDefinitions: Array<{ name: string; priority: number }>;
    rows: Array<{ cells: unknown[]; object: { kind: string; metadata: { name: string } } }>;
    metadata: unknown;
  };
  assert.deepEqual(table.columnDefinitions.map((c) => c.name), ['Name', 'Age', 'Phase', 'IP', 'Ready', 'Paused']);
  assert.equal(table.columnDefinitions[5]?.priority, 1);
  assert.deepEqual(table.rows[0]?.cells, ['a', '3m20s', 'Running', '10.0.2.2', 'True', null]);
  assert.equal(table.rows[0]?.object.kind, 'PartialObjectMetadata');
  assert.equal(table.rows[0]?.object.metadata.name, 'a');
  assert.deepEqual(table.metadata, { resourceVersion: '7' });
});

test('leaves the object out with includeObject=None', () => {
  const table = renderTable(kind, [vmi], { version: 'v1', includeObject: 'None' }, 0) as { rows: Array<Record<string, unknown>> };
  assert.equal('object' in (table.rows[0] ?? {}), false);
});

test('evaluates the JSONPath subset printer columns use', () => {
  assert.deepEqual(evaluateJsonPath(vmi, '.status.conditions[*].type'), ['LiveMigratable', 'Ready']);
  assert.deepEqual(evaluateJsonPath(vmi, '{.metadata.name}'), ['a']);
  assert.deepEqual(evaluateJsonPath(vmi, '.status.interfaces[3].ipAddress'), []);
  assert.throws(() => evaluateJsonPath(vmi, '.status..phase'), /unsupported JSONPath/);
});
