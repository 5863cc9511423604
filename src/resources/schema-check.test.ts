import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaCauses } from './schema-check.ts';
import { array, integer, object, quantity, string } from './schema-builders.ts';

const schema = object({ name: string(), size: quantity(), items: array(object({ n: integer() }, ['n'])) }, ['name']);

test('reports wrong types with the API server\'s wording', () => {
  assert.deepEqual(schemaCauses(schema, { name: 5 }), [
    { type: 'FieldValueInvalid', field: 'name', message: 'Invalid value: "integer": name in body must be of type string: "integer"' },
  ]);
});

test('reports missing required fields inside list items', () => {
  assert.deepEqual(schemaCauses(schema, { name: 'x', items: [{ n: 1 }, {}] }), [{ type: 'FieldValueRequired', field: 'items[1].n', message: 'Required value' }]);
});

test('int-or-string accepts both and refuses objects; null counts as unset', () => {
  assert.deepEqual(schemaCauses(schema, { name: 'x', size: 3 }), []);
  assert.deepEqual(schemaCauses(schema, { name: 'x', size: '1Gi' }), []);
  assert.equal(schemaCauses(schema, { name: 'x', size: {} })[0]?.field, 'size');
  assert.deepEqual(schemaCauses(schema, { name: 'x', size: null }), []);
});
