import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonpath, jsonpathValues } from './jsonpath.ts';
import { JsonPathParseError } from './jsonpath-parse.ts';

const list = {
  kind: 'List',
  items: [
    { metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], replicas: 2 } },
    { metadata: { name: 'b' }, status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False' }], replicas: 0 } },
  ],
};

test('selects fields and joins several results with a space', () => {
  assert.equal(jsonpath('{.items[*].metadata.name}', list), 'a b');
  assert.equal(jsonpath('{.items[0].status.phase}', list), 'Running');
  assert.equal(jsonpath('{.items[-1].metadata.name}', list), 'b');
  assert.equal(jsonpath('{.items[0:1].metadata.name}', list), 'a');
});

test('text outside braces and string literals print as they are', () => {
  assert.equal(jsonpath('name={.items[0].metadata.name}{"\\n"}', list), 'name=a\n');
});

test('range … end repeats its body for every element', () => {
  assert.equal(jsonpath('{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}', list), 'a\tRunning\nb\tPending\n');
});

test('filters compare with ==, != and numbers, and test existence', () => {
  assert.equal(jsonpath('{.items[?(@.status.phase=="Pending")].metadata.name}', list), 'b');
  assert.equal(jsonpath('{.items[?(@.status.phase!="Pending")].metadata.name}', list), 'a');
  assert.equal(jsonpath('{.items[?(@.status.replicas>1)].metadata.name}', list), 'a');
  assert.equal(jsonpath('{.items[?(@.metadata.labels)].metadata.name}', list), 'a');
  assert.equal(jsonpath('{.items[0].status.conditions[?(@.type=="Ready")].status}', list), 'True');
});

test('maps and lists print as compact JSON, numbers plainly, missing keys as nothing', () => {
  assert.equal(jsonpath('{.items[1].metadata}', list), '{"name":"b"}');
  assert.equal(jsonpath('{.items[0].status.replicas}', list), '2');
  assert.equal(jsonpath('{.items[0].nothing.here}', list), '');
});

test('escaped dots and bracket names reach keys containing dots', () => {
  assert.equal(jsonpath('{.items[0].metadata.labels.app\\.kubernetes\\.io/name}', list), 'x');
  assert.equal(jsonpath("{.items[0].metadata.labels['app.kubernetes.io/name']}", list), 'x');
});

test('recursive descent finds every name', () => {
  assert.equal(jsonpath('{..name}', list), 'a b');
});

test('an unclosed action is a parse error naming the template', () => {
  assert.throws(() => jsonpath('{.items', list), JsonPathParseError);
  assert.throws(() => jsonpath('{range .items[*]}{.x}', list), /unclosed range/);
});

test('jsonpathValues takes an expression with or without braces', () => {
  assert.deepEqual(jsonpathValues('{.items[1].status.phase}', list), ['Pending']);
  assert.deepEqual(jsonpathValues('.items[*].metadata.name', list), ['a', 'b']);
});
