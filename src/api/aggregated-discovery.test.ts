import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregatedDiscovery, negotiateDiscovery } from './aggregated-discovery.ts';

const KUBECTL_132 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('answers kubectl 1.32 with v2, a client asking only for v2beta1 with v2beta1', () => {
  assert.equal(negotiateDiscovery(KUBECTL_132), 'v2');
  assert.equal(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'), 'v2beta1');
});

test('serves the legacy documents to clients that ask for plain JSON first, or for nothing', () => {
  assert.equal(negotiateDiscovery('application/json, */*'), undefined);
  assert.equal(negotiateDiscovery(undefined), undefined);
  assert.equal(negotiateDiscovery('application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'), undefined);
});

test('skips aggregated forms it does not serve (other versions, other kinds, q=0)', () => {
  assert.equal(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json'), undefined);
  assert.equal(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2;as=Other,application/json'), undefined);
  assert.equal(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0,application/json'), undefined);
});

test('nests subresources under their resource, giving a parent from another group an entry of its own', () => {
  const doc = aggregatedDiscovery([
    { group: 'kubevirt.io', versions: [{ version: 'v1', resources: [
      { name: 'virtualmachines', singularName: 'virtualmachine', namespaced: true, kind: 'VirtualMachine', verbs: ['get', 'list'], shortNames: ['vm'] },
      { name: 'virtualmachines/status', namespaced: true, kind: 'VirtualMachine', verbs: ['get', 'patch'] },
    ] }] },
    { group: 'subresources.kubevirt.io', versions: [{ version: 'v1', resources: [{ name: 'virtualmachines/start', namespaced: true, kind: '', verbs: ['update'] }] }] },
  ], 'v2') as Obj;
  assert.equal(doc.kind, 'APIGroupDiscoveryList');
  assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
  const [kubevirt, sub] = doc.items;
  assert.equal(kubevirt.metadata.name, 'kubevirt.io');
  assert.deepEqual(kubevirt.versions[0].resources, [{
    resource: 'virtualmachines', responseKind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine' }, scope: 'Namespaced', singularResource: 'virtualmachine',
    verbs: ['get', 'list'], shortNames: ['vm'],
    subresources: [{ subresource: 'status', responseKind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine' }, verbs: ['get', 'patch'] }],
  }]);
  assert.equal(kubevirt.versions[0].freshness, 'Current');
  assert.deepEqual(sub.versions[0].resources, [{ resource: 'virtualmachines', scope: 'Namespaced', singularResource: '', verbs: [], subresources: [{ subresource: 'start', verbs: ['update'] }] }]);
});
