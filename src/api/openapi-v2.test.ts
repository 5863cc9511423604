import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../resources/kinds.ts';
import { schemaName } from './openapi.ts';
import { openapiV2Document } from './openapi-v2.ts';
import { encodeOpenapiV2 } from './openapi-v2-proto.ts';
import { createRegistry } from './registry.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const doc = openapiV2Document(createRegistry(KINDS), '1.0.0') as Obj;

test('defines every kind of every served version with its group-version-kind', () => {
  assert.equal(doc.swagger, '2.0');
  for (const kind of KINDS) {
    for (const version of kind.versions) {
      const def = doc.definitions[schemaName(kind.group, version, kind.kind)];
      assert.ok(def, `${kind.kind} ${version} has a definition`);
      assert.deepEqual(def['x-kubernetes-group-version-kind'], [{ group: kind.group, kind: kind.kind, version }]);
    }
  }
});

test('turns request bodies into body parameters and refers to definitions, not components', () => {
  const create = doc.paths['/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances'].post;
  const body = create.parameters.find((p: Obj) => p.in === 'body');
  assert.deepEqual(body.schema, { $ref: '#/definitions/io.kubevirt.v1.VirtualMachineInstance' });
  assert.deepEqual(create.consumes, ['application/json', 'application/yaml']);
  assert.equal(create['x-kubernetes-group-version-kind'].kind, 'VirtualMachineInstance');
  assert.ok(!JSON.stringify(doc).includes('#/components/'));
});

test('encodes the document as protobuf with every path and definition name in it', () => {
  const bytes = encodeOpenapiV2(doc);
  assert.equal(bytes[0], (1 << 3) | 2, 'field 1 (swagger), length-delimited');
  const text = bytes.toString('latin1');
  for (const path of Object.keys(doc.paths)) assert.ok(text.includes(path), path);
  for (const name of Object.keys(doc.definitions)) assert.ok(text.includes(name), name);
  assert.ok(text.includes('x-kubernetes-group-version-kind'));
});
