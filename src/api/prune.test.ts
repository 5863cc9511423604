import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Schema } from '../resources/kind.ts';
import { pruneUnknownFields } from './prune.ts';

const schema: Schema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object', properties: { name: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } } },
    spec: {
      type: 'object',
      properties: {
        disks: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
        raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

test('removes unknown fields wherever they are and reports their paths', () => {
  const object = {
    apiVersion: 'v1',
    kind: 'X',
    metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' }, bogus: 1 },
    spec: { disks: [{ name: 'd', size: 3 }], raw: { anything: true }, extra: 'x' },
  };
  assert.deepEqual(pruneUnknownFields(schema, object).sort(), ['metadata.bogus', 'spec.disks[0].size', 'spec.extra']);
  assert.deepEqual(object, { apiVersion: 'v1', kind: 'X', metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } }, spec: { disks: [{ name: 'd' }], raw: { anything: true } } });
});
