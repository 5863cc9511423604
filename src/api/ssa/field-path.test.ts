import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Schema } from '../../resources/kind.ts';
import { fieldsOf, joinPath, pathString, removeAt, splitPath, valueAt } from './field-path.ts';
import { fromFieldsV1, toFieldsV1 } from './fields-v1.ts';

const SCHEMA: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        interfaces: { type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
        tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
        args: { type: 'array', items: { type: 'string' } },
        selector: { type: 'object', 'x-kubernetes-map-type': 'atomic' },
      },
    },
  },
};

const object = {
  spec: {
    interfaces: [{ name: 'pxe', bridge: {}, macAddress: 'de:00:00:00:00:de' }],
    tags: ['a', 'b'],
    args: ['-x', '-y'],
    selector: { app: 'x' },
    replicas: 2,
  },
};

test('fields of an object follow the schema: list-map items by key, set members, atomic lists and maps as one field', () => {
  const keys = [...fieldsOf(object, SCHEMA)].map((k) => pathString(splitPath(k))).sort();
  assert.deepEqual(keys, [
    '.spec.args',
    '.spec.interfaces[name="pxe"]',
    '.spec.interfaces[name="pxe"].bridge',
    '.spec.interfaces[name="pxe"].macAddress',
    '.spec.interfaces[name="pxe"].name',
    '.spec.replicas',
    '.spec.selector',
    '.spec.tags[="a"]',
    '.spec.tags[="b"]',
  ]);
});

test('lists without x-kubernetes-list-type are atomic (the CRD default)', () => {
  assert.deepEqual([...fieldsOf({ spec: { other: [1, 2] } }, SCHEMA)], [joinPath(['f:spec', 'f:other'])]);
});

test('FieldsV1 round-trips, with "." marking an owned node that has owned children', () => {
  const set = fieldsOf(object, SCHEMA);
  const v1 = toFieldsV1(set);
  assert.deepEqual((v1['f:spec'] as Record<string, Record<string, unknown>>)['f:interfaces']!['k:{"name":"pxe"}'], { '.': {}, 'f:bridge': {}, 'f:macAddress': {}, 'f:name': {} });
  assert.deepEqual(fromFieldsV1(v1), set);
});

test('fromFieldsV1 ignores what is not a tree', () => {
  assert.equal(fromFieldsV1('x').size, 0);
  assert.equal(fromFieldsV1([1, 2]).size, 0);
  assert.deepEqual([...fromFieldsV1({ 'f:a': { 'f:b': 7 } })], []);
});

test('valueAt and removeAt address fields, list-map items and set members', () => {
  const copy = structuredClone(object);
  assert.equal(valueAt(copy, ['f:spec', 'k:{"name":"pxe"}', 'f:macAddress']), undefined, 'k: applies to lists only');
  assert.equal(valueAt(copy, ['f:spec', 'f:interfaces', 'k:{"name":"pxe"}', 'f:macAddress']), 'de:00:00:00:00:de');
  removeAt(copy, ['f:spec', 'f:tags', 'v:"a"']);
  removeAt(copy, ['f:spec', 'f:interfaces', 'k:{"name":"pxe"}']);
  removeAt(copy, ['f:spec', 'f:replicas']);
  removeAt(copy, ['f:spec', 'f:missing', 'f:deeper']);
  assert.deepEqual(copy.spec, { interfaces: [], tags: ['b'], args: ['-x', '-y'], selector: { app: 'x' } });
});
