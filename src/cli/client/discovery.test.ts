import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Discovery, matchResource, resourcePath, resourcesFromList, typeName } from './discovery.ts';
import { UnknownResourceError } from './cli-errors.ts';

const core = resourcesFromList('', 'v1', {
  resources: [
    { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', shortNames: ['ns'] },
    { name: 'events', singularName: 'event', namespaced: true, kind: 'Event', shortNames: ['ev'] },
    { name: 'namespaces/status', namespaced: false, kind: 'Namespace' },
  ],
});
const kubevirt = resourcesFromList('kubevirt.io', 'v1', {
  resources: [
    { name: 'virtualmachineinstances', singularName: 'virtualmachineinstance', namespaced: true, kind: 'VirtualMachineInstance', shortNames: ['vmi', 'vmis'] },
    { name: 'virtualmachines', singularName: 'virtualmachine', namespaced: true, kind: 'VirtualMachine', shortNames: ['vm', 'vms'] },
  ],
});
const all = [...core, ...kubevirt];

test('resolves plural, singular, short names and kinds in any case', () => {
  for (const name of ['vmi', 'vmis', 'virtualmachineinstance', 'virtualmachineinstances', 'VirtualMachineInstance']) {
    assert.equal(matchResource(all, name)?.resource, 'virtualmachineinstances', name);
  }
  assert.equal(matchResource(all, 'ns')?.resource, 'namespaces');
  assert.equal(matchResource(all, 'ev')?.kind, 'Event');
});

test('resolves resource.group and resource.version.group forms', () => {
  assert.equal(matchResource(all, 'virtualmachineinstances.kubevirt.io')?.kind, 'VirtualMachineInstance');
  assert.equal(matchResource(all, 'vm.v1.kubevirt.io')?.kind, 'VirtualMachine');
  assert.equal(matchResource(all, 'virtualmachineinstances.example.com'), undefined);
});

test('leaves subresources out', () => {
  assert.equal(core.some((r) => r.resource.includes('/')), false);
});

test('Discovery fetches each document once and says which name it does not know', async () => {
  const asked: string[] = [];
  const docs: Record<string, unknown> = {
    '/apis': { groups: [{ name: 'kubevirt.io', versions: [{ groupVersion: 'kubevirt.io/v1', version: 'v1' }], preferredVersion: { version: 'v1' } }] },
    '/api/v1': { resources: [{ name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', shortNames: ['ns'] }] },
    '/apis/kubevirt.io/v1': { resources: [{ name: 'virtualmachineinstances', singularName: 'virtualmachineinstance', namespaced: true, kind: 'VirtualMachineInstance', shortNames: ['vmi'], categories: ['all'] }] },
  };
  const d = new Discovery(async (path) => {
    asked.push(path);
    return docs[path];
  });
  assert.equal((await d.resolve('vmi')).group, 'kubevirt.io');
  assert.equal((await d.resolve('ns')).namespaced, false);
  assert.equal((await d.forKind('kubevirt.io/v1', 'VirtualMachineInstance'))?.resource, 'virtualmachineinstances');
  await assert.rejects(d.resolve('pods'), UnknownResourceError);
  assert.deepEqual((await d.resolveMany('all')).map((r) => r.resource), ['virtualmachineinstances']);
  await assert.rejects(d.resolveMany('everything'), UnknownResourceError);
  assert.deepEqual(asked.sort(), ['/api/v1', '/apis', '/apis/kubevirt.io/v1']);
});

test('builds URL paths and kubectl type names', () => {
  const vmi = kubevirt[0];
  const ns = core[0];
  assert.ok(vmi && ns);
  assert.equal(resourcePath(vmi, 'default', 'x'), '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/x');
  assert.equal(resourcePath(ns, 'default', 'kube'), '/api/v1/namespaces/kube');
  assert.equal(typeName('NetworkAttachmentDefinition', 'k8s.cni.cncf.io'), 'networkattachmentdefinition.k8s.cni.cncf.io');
  assert.equal(typeName('Namespace', ''), 'namespace');
});
