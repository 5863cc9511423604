import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../resources/kinds.ts';
import { openapiDocument, openapiIndex, schemaName } from './openapi.ts';
import { createRegistry } from './registry.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const registry = createRegistry(KINDS);

test('indexes one document per served group-version', () => {
  const paths = openapiIndex(registry).paths as Obj;
  for (const key of ['api/v1', 'apis/kubevirt.io/v1', 'apis/kubevirt.io/v1alpha3', 'apis/k8s.cni.cncf.io/v1', 'apis/nmstate.io/v1']) {
    assert.match(paths[key]?.serverRelativeURL ?? '', new RegExp(`^/openapi/v3/${key.replace(/\./g, '\\.')}\\?hash=[0-9A-F]+$`));
  }
});

test('gives every kind a PATCH operation with its GVK and the fieldValidation parameter (what kubectl looks for)', () => {
  const doc = openapiDocument(registry, 'kubevirt.io', 'v1') as Obj;
  const patch = doc.paths['/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances/{name}'].patch;
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachineInstance' });
  assert.ok(patch.parameters.some((p: Obj) => p.name === 'fieldValidation' && p.in === 'query'));
  assert.ok(!('application/strategic-merge-patch+json' in patch.requestBody.content), 'no strategic merge patch: kubectl apply then sends a merge patch');
  const schema = doc.components.schemas[schemaName('kubevirt.io', 'v1', 'VirtualMachineInstance')];
  assert.equal(schema.properties.spec.type, 'object');
  assert.deepEqual(schema['x-kubernetes-group-version-kind'], [{ group: 'kubevirt.io', kind: 'VirtualMachineInstance', version: 'v1' }]);
});

test('uses cluster-scoped paths for cluster-scoped kinds', () => {
  const doc = openapiDocument(registry, 'nmstate.io', 'v1') as Obj;
  assert.ok(doc.paths['/apis/nmstate.io/v1/nodenetworkconfigurationpolicies/{name}']);
  assert.equal(openapiDocument(registry, 'nmstate.io', 'v9'), undefined);
});
