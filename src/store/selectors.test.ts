import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { BadQueryError } from './errors.ts';

const labels = { app: 'web', tier: 'front', 'kubevirt.io/vm': 'vm1', n: '5' };
const matches = (selector: string, l: Record<string, string> | undefined = labels) => matchesLabels(parseLabelSelector(selector), l);

test('parses every label operator into requirements', () => {
  assert.deepEqual(parseLabelSelector('a=b, c==d,e!=f,g in (h, i),j notin (k),l,!m,n>3,o<4'), [
    { key: 'a', operator: '=', values: ['b'] },
    { key: 'c', operator: '=', values: ['d'] },
    { key: 'e', operator: '!=', values: ['f'] },
    { key: 'g', operator: 'in', values: ['h', 'i'] },
    { key: 'j', operator: 'notin', values: ['k'] },
    { key: 'l', operator: 'exists', values: [] },
    { key: 'm', operator: '!', values: [] },
    { key: 'n', operator: '>', values: ['3'] },
    { key: 'o', operator: '<', values: ['4'] },
  ]);
});

test('an empty label selector matches everything, including objects without labels', () => {
  assert.deepEqual(parseLabelSelector(''), []);
  assert.equal(matches('', undefined), true);
  assert.equal(matches('  '), true);
});

test('matches equality, inequality and set requirements', () => {
  assert.equal(matches('app=web'), true);
  assert.equal(matches('app==web,tier=front'), true);
  assert.equal(matches('app=db'), false);
  assert.equal(matches('app!=db'), true);
  assert.equal(matches('app!=web'), false);
  assert.equal(matches('app in (db, web)'), true);
  assert.equal(matches('app in (db)'), false);
  assert.equal(matches('app notin (db)'), true);
  assert.equal(matches('app notin (web,db)'), false);
  assert.equal(matches('kubevirt.io/vm=vm1'), true);
  assert.equal(matches('n>4,n<6'), true);
  assert.equal(matches('n>5'), false);
});

test('absent keys satisfy != and notin but not =, in or exists', () => {
  assert.equal(matches('missing!=x'), true);
  assert.equal(matches('missing notin (x)'), true);
  assert.equal(matches('missing=x'), false);
  assert.equal(matches('missing in (x)'), false);
  assert.equal(matches('missing'), false);
  assert.equal(matches('!missing'), true);
  assert.equal(matches('!app'), false);
  assert.equal(matches('app'), true);
});

test('an empty value after = selects the empty label value', () => {
  assert.deepEqual(parseLabelSelector('a='), [{ key: 'a', operator: '=', values: [''] }]);
  assert.equal(matches('a=', { a: '' }), true);
  assert.equal(matches('a=', { a: 'x' }), false);
});

test('refuses malformed label selectors with BadQueryError naming the problem', () => {
  const bad: Array<[string, RegExp]> = [
    ['a=b,', /label key, found the end/],
    ['a b', /operator/],
    ['a in b', /"\(" after in/],
    ['a in (b', /"," or "\)"/],
    ['a in ()', /at least one value/],
    ['!', /label key after "!"/],
    ['-bad=x', /label key/],
    ['a=b c', /","/],
    ['a=in/valid', /label value/],
    ['a>x', /integer/],
    ['UPPER.example/a=b', /label key/],
  ];
  for (const [selector, message] of bad) {
    assert.throws(() => parseLabelSelector(selector), (e: unknown) => {
      assert.ok(e instanceof BadQueryError, `${selector}: ${String(e)}`);
      assert.equal(e.parameter, 'labelSelector');
      assert.equal(e.found, selector);
      assert.match(e.message, message, selector);
      return true;
    });
  }
});

const FIELDS = ['metadata.name', 'metadata.namespace'];

test('parses field selectors with =, == and !=', () => {
  assert.deepEqual(parseFieldSelector('metadata.name=a,metadata.namespace!=b, metadata.name==c', FIELDS), [
    { field: 'metadata.name', operator: '=', value: 'a' },
    { field: 'metadata.namespace', operator: '!=', value: 'b' },
    { field: 'metadata.name', operator: '=', value: 'c' },
  ]);
  assert.deepEqual(parseFieldSelector('', FIELDS), []);
});

test('field selector values may escape commas and equals signs', () => {
  assert.deepEqual(parseFieldSelector('metadata.name=a\\,b\\=c', FIELDS), [{ field: 'metadata.name', operator: '=', value: 'a,b=c' }]);
});

test('matches field selectors against the object values', () => {
  const values: Record<string, string> = { 'metadata.name': 'vm1', 'metadata.namespace': 'default' };
  const valueOf = (f: string) => values[f] ?? '';
  assert.equal(matchesFields(parseFieldSelector('metadata.name=vm1', FIELDS), valueOf), true);
  assert.equal(matchesFields(parseFieldSelector('metadata.name=vm2', FIELDS), valueOf), false);
  assert.equal(matchesFields(parseFieldSelector('metadata.name!=vm2,metadata.namespace=default', FIELDS), valueOf), true);
  assert.equal(matchesFields(parseFieldSelector('metadata.namespace!=default', FIELDS), valueOf), false);
});

test('an unsupported field is refused with its name in the message', () => {
  assert.throws(() => parseFieldSelector('spec.running=true', FIELDS), (e: unknown) => {
    assert.ok(e instanceof BadQueryError);
    assert.equal(e.parameter, 'fieldSelector');
    assert.match(e.message, /field label not supported: spec\.running/);
    assert.match(e.message, /metadata\.name, metadata\.namespace/);
    return true;
  });
});

test('a field term without an operator is refused', () => {
  assert.throws(() => parseFieldSelector('metadata.name', FIELDS), /field=value/);
  assert.throws(() => parseFieldSelector('metadata.name=a,', FIELDS), /field=value/);
});
