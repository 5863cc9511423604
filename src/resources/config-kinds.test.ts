import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base64Error, configMapKind, secretKind } from './config-kinds.ts';

const ctx = { operation: 'CREATE' as const };
const secret = (extra: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: 'default' }, ...extra });

test('stringData is folded into data as base64 and never stored; type defaults to Opaque', () => {
  const out = secretKind.default(secret({ data: { a: 'eA==' }, stringData: { userdata: '#cloud-config\n' } }), ctx);
  assert.deepEqual(out.data, { a: 'eA==', userdata: Buffer.from('#cloud-config\n').toString('base64') });
  assert.equal(out.stringData, undefined);
  assert.equal(out.type, 'Opaque');
  assert.deepEqual(secretKind.validate(out, ctx), []);
});

test('data that is not base64 and keys that are not config keys are refused naming the field', () => {
  const causes = secretKind.validate(secret({ data: { good: 'aGk=', bad: 'no spaces!', 'a/b': 'aGk=' } }), ctx);
  assert.deepEqual(causes.map((c) => c.field).sort(), ['data[a/b]', 'data[bad]']);
  assert.match(causes.find((c) => c.field === 'data[bad]')?.message ?? '', /illegal base64 data at input byte 2/);
  assert.equal(base64Error('aGk='), undefined);
  assert.equal(base64Error('aGk'), 0);
  assert.equal(base64Error('a=Gk'), 1);
});

test('the Data column counts keys; a Secret\'s values are in no column', () => {
  const s = secretKind.default(secret({ stringData: { a: 'x', b: 'y' } }), ctx);
  const data = secretKind.printerColumns.find((c) => c.name === 'Data');
  assert.equal(data?.value?.(s), 2);
  assert.ok(secretKind.printerColumns.every((c) => !c.jsonPath.startsWith('.data') || c.value !== undefined));
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' }, binaryData: { b: 'aGk=' } };
  assert.equal(configMapKind.printerColumns[0]?.value?.(cm), 2);
  assert.deepEqual(configMapKind.validate(cm, ctx), []);
});
