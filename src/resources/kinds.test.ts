import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, kindByGvk, kindByName, kindByResource, parseApiVersion } from './kinds.ts';
import { V1ALPHA3_WARNING } from './vmi-kind.ts';
import { findUnknownFields } from './unknown-fields.ts';

const create = { operation: 'CREATE' } as const;

test('every kind DESIGN.md lists is registered once with its short names', () => {
  const table = KINDS.map((k) => `${k.group}/${k.versions[0]} ${k.kind} ${k.shortNames.join(',')} ${k.namespaced ? 'ns' : 'cluster'}`);
  assert.deepEqual(table, [
    'kubevirt.io/v1 VirtualMachineInstance vmi,vmis ns',
    'kubevirt.io/v1 VirtualMachine vm,vms ns',
    'k8s.cni.cncf.io/v1 NetworkAttachmentDefinition net-attach-def ns',
    'nmstate.io/v1 NodeNetworkConfigurationPolicy nncp cluster',
    'nmstate.io/v1beta1 NodeNetworkConfigurationEnactment nnce cluster',
    'pxe.pxevirt.io/v1alpha1 PXEServer pxe ns',
    '/v1 Namespace ns cluster',
    '/v1 Event ev ns',
    '/v1 Secret  ns',
    '/v1 ConfigMap cm ns',
    '/v1 PersistentVolumeClaim pvc ns',
    'storage.k8s.io/v1 StorageClass sc cluster',
    'cdi.kubevirt.io/v1beta1 DataVolume dv,dvs ns',
    'instancetype.kubevirt.io/v1beta1 VirtualMachineInstancetype vminstancetype,vminstancetypes,vmf,vmfs ns',
    'instancetype.kubevirt.io/v1beta1 VirtualMachineClusterInstancetype vmclusterinstancetype,vmclusterinstancetypes,vmcf,vmcfs cluster',
    'instancetype.kubevirt.io/v1beta1 VirtualMachinePreference vmpref,vmprefs,vmp,vmps ns',
    'instancetype.kubevirt.io/v1beta1 VirtualMachineClusterPreference vmcp,vmcps cluster',
    'apps/v1 ControllerRevision  ns',
  ]);
});

test('kubevirt.io/v1alpha3 is served with the deprecation warning', () => {
  const vmi = kindByGvk('kubevirt.io', 'v1alpha3', 'VirtualMachineInstance');
  assert.equal(vmi?.deprecated?.v1alpha3, 'kubevirt.io/v1alpha3 is now deprecated and will be removed in a future release.');
  assert.equal(V1ALPHA3_WARNING, vmi?.deprecated?.v1alpha3);
  assert.equal(kindByGvk('kubevirt.io', 'v2', 'VirtualMachineInstance'), undefined);
});

test('lookups by resource, by apiVersion+kind, and by any name case-insensitively', () => {
  assert.equal(kindByResource('kubevirt.io', 'virtualmachines')?.kind, 'VirtualMachine');
  assert.equal(kindByResource('', 'namespaces')?.kind, 'Namespace');
  assert.deepEqual(parseApiVersion('kubevirt.io/v1alpha3'), { group: 'kubevirt.io', version: 'v1alpha3' });
  assert.deepEqual(parseApiVersion('v1'), { group: '', version: 'v1' });
  for (const name of ['vmi', 'VMIS', 'virtualmachineinstance', 'VirtualMachineInstances', 'VirtualMachineInstance', 'vmi.kubevirt.io', 'virtualmachineinstances.v1.kubevirt.io']) {
    assert.equal(kindByName(name)?.kind, 'VirtualMachineInstance', name);
  }
  assert.equal(kindByName('net-attach-def')?.kind, 'NetworkAttachmentDefinition');
  assert.equal(kindByName('network-attachment-definitions.k8s.cni.cncf.io')?.kind, 'NetworkAttachmentDefinition');
  assert.equal(kindByName('NNCP')?.kind, 'NodeNetworkConfigurationPolicy');
  assert.equal(kindByName('ev')?.kind, 'Event');
  assert.equal(kindByName('pods'), undefined);
  assert.equal(kindByName('vmi.nmstate.io'), undefined);
});

test('printer columns match KubeVirt\'s CRDs', () => {
  const cols = (kind: string) => kindByName(kind)!.printerColumns.map((c) => `${c.name}${c.priority ? '*' : ''}=${c.jsonPath}`);
  assert.deepEqual(cols('vmi'), [
    'Age=.metadata.creationTimestamp',
    'Phase=.status.phase',
    'IP=.status.interfaces[0].ipAddress',
    'NodeName=.status.nodeName',
    "Ready=.status.conditions[?(@.type=='Ready')].status",
    "Live-Migratable*=.status.conditions[?(@.type=='LiveMigratable')].status",
    "Paused*=.status.conditions[?(@.type=='Paused')].status",
  ]);
  assert.deepEqual(cols('vm'), ['Age=.metadata.creationTimestamp', 'Status=.status.printableStatus', "Ready=.status.conditions[?(@.type=='Ready')].status"]);
  assert.deepEqual(cols('ev').map((c) => c.split('=')[0]), ['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
});

test('a namespace gets phase Active; names are DNS labels', () => {
  const ns = kindByName('ns')!;
  const out = ns.default({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lab' } }, create) as { status: { phase: string } };
  assert.equal(out.status.phase, 'Active');
  assert.deepEqual(ns.validate(out, create), []);
  assert.equal(ns.validate({ metadata: { name: 'a.b' } }, create)[0]?.field, 'metadata.name');
});

test('an event needs involvedObject and a Normal or Warning type', () => {
  const ev = kindByName('event')!;
  const good = { metadata: { name: 'vmi.1' }, involvedObject: { kind: 'VirtualMachineInstance', name: 'vmi' }, type: 'Normal', reason: 'Created', count: 1, source: { component: 'pxevirt' } };
  assert.deepEqual(ev.validate(good, create), []);
  assert.deepEqual(findUnknownFields(ev.schema, good), []);
  assert.equal(ev.validate({ metadata: { name: 'e' } }, create)[0]?.field, 'involvedObject');
  assert.equal(ev.validate({ ...good, type: 'Bad' }, create)[0]?.field, 'type');
});

test('every kind\'s schema declares apiVersion, kind and metadata', () => {
  for (const k of KINDS) {
    assert.deepEqual(Object.keys(k.schema.properties ?? {}).slice(0, 3), ['apiVersion', 'kind', 'metadata'], k.kind);
  }
});
