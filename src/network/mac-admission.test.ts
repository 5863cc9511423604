import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMacAdmission, type MacAdmissionRequest, type MacAdmissionResult } from './mac-admission.ts';
import { macRange } from './mac-pool.ts';

type Obj = Record<string, unknown>;

const iface = (name: string, mac?: string): Obj => ({ name, bridge: {}, ...(mac !== undefined ? { macAddress: mac } : {}) });
const vmi = (name: string, ifaces: Obj[], extra: { phase?: string; owner?: string } = {}): Obj => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name, namespace: 'default', ...(extra.owner ? { ownerReferences: [{ kind: 'VirtualMachine', name: extra.owner, apiVersion: 'kubevirt.io/v1', uid: 'u' }] } : {}) },
  spec: { domain: { devices: { interfaces: ifaces } } },
  ...(extra.phase ? { status: { phase: extra.phase } } : {}),
});
const vm = (name: string, ifaces: Obj[]): Obj => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name, namespace: 'default' },
  spec: { running: false, template: { spec: { domain: { devices: { interfaces: ifaces } } } } },
});

function setup(stored: Obj[] = [], cursor?: string) {
  const saved: string[] = [];
  let current = cursor;
  const admit = createMacAdmission({
    range: macRange('02:00:00:00:00:00', '02:00:00:00:00:ff'),
    objects: () => stored,
    cursor: { load: () => current, save: (c) => (saved.push(c), (current = c)) },
    random: () => 0,
  });
  return { admit, saved, stored };
}

const kindOf = (o: Obj) => String(o.kind);
const admitted = (r: MacAdmissionResult): Obj => {
  assert.ok('object' in r, `expected the object, found a denial: ${JSON.stringify(r)}`);
  return r.object;
};
const macsOf = (o: Obj): unknown[] => {
  const spec = o.kind === 'VirtualMachine' ? ((o.spec as Obj).template as Obj).spec : o.spec;
  return (((spec as Obj).domain as Obj).devices as { interfaces: Obj[] }).interfaces.map((i) => i.macAddress);
};
const create = (object: Obj, dryRun = false): MacAdmissionRequest => ({ kind: kindOf(object), operation: 'CREATE', object, dryRun });

test('fills in every interface without a MAC and persists the cursor', () => {
  const { admit, saved } = setup();
  const out = admitted(admit(create(vm('a', [iface('default'), iface('pxe', 'de:00:00:00:00:de'), iface('third', '')]))));
  assert.deepEqual(macsOf(out), ['02:00:00:00:00:01', 'de:00:00:00:00:de', '02:00:00:00:00:02']);
  assert.deepEqual(saved, ['02:00:00:00:00:02']);
});

test('skips MACs held by stored VMs and live VMIs, not those of finished VMIs', () => {
  const { admit } = setup([vm('a', [iface('x', '02:00:00:00:00:01')]), vmi('b', [iface('x', '02:00:00:00:00:02')]), vmi('c', [iface('x', '02:00:00:00:00:03')], { phase: 'Succeeded' })]);
  const out = admitted(admit(create(vmi('d', [iface('x'), iface('y')]))));
  assert.deepEqual(macsOf(out), ['02:00:00:00:00:03', '02:00:00:00:00:04']);
});

test('refuses a requested MAC another object holds, naming the field, the MAC and the holder', () => {
  const { admit, saved } = setup([vmi('first', [iface('default'), iface('pxe', 'DE:00:00:00:00:DE')])]);
  const r = admit(create(vmi('second', [iface('default', '02:00:00:00:00:10'), iface('pxe', 'de-00-00-00-00-de')])));
  assert.ok('causes' in r);
  assert.equal(r.webhook, 'mutatevirtualmachineinstances.kubemacpool.io');
  assert.deepEqual(r.causes, [
    { type: 'FieldValueDuplicate', field: 'spec.domain.devices.interfaces[1].macAddress', message: 'failed to allocate requested mac address de-00-00-00-00-de: already used by VirtualMachineInstance default/first (interface pxe)' },
  ]);
  assert.deepEqual(saved, []);
});

test('refuses the same MAC on two interfaces of one VM', () => {
  const { admit } = setup();
  const r = admit(create(vm('a', [iface('one', '02:00:00:00:00:10'), iface('two', '02:00:00:00:00:10')])));
  assert.ok('causes' in r);
  assert.equal(r.webhook, 'mutatevirtualmachines.kubemacpool.io');
  assert.equal(r.causes[0]?.field, 'spec.template.spec.domain.devices.interfaces[1].macAddress');
  assert.match(r.causes[0]?.message ?? '', /interface one of this VirtualMachine already has it/);
});

test('a VMI owned by a VM shares its MACs without conflict', () => {
  const { admit } = setup([vm('a', [iface('default', '02:00:00:00:00:10')])]);
  const out = admitted(admit(create(vmi('a', [iface('default', '02:00:00:00:00:10')], { owner: 'a' }))));
  assert.deepEqual(macsOf(out), ['02:00:00:00:00:10']);
});

test('an update keeps the MAC of a same-named interface and allocates only for a new one', () => {
  const old = vm('a', [iface('default', '02:00:00:00:00:42')]);
  const { admit } = setup([old], '02:00:00:00:00:50');
  const out = admitted(admit({ kind: 'VirtualMachine', operation: 'UPDATE', object: vm('a', [iface('default'), iface('extra')]), old }));
  assert.deepEqual(macsOf(out), ['02:00:00:00:00:42', '02:00:00:00:00:51']);
});

test('an update does not refuse a MAC the object already had, even when another holds it too', () => {
  const old = vm('a', [iface('default', '02:00:00:00:00:42')]);
  const { admit } = setup([old, vmi('other', [iface('x', '02:00:00:00:00:42')])]);
  admitted(admit({ kind: 'VirtualMachine', operation: 'UPDATE', object: vm('a', [iface('default', '02:00:00:00:00:42')]), old }));
});

test('a dry run gets MACs but does not move the cursor', () => {
  const { admit, saved } = setup();
  const out = admitted(admit(create(vm('a', [iface('default')]), true)));
  assert.deepEqual(macsOf(out), ['02:00:00:00:00:01']);
  assert.deepEqual(saved, []);
});

test('an exhausted pool refuses with the field and the range', () => {
  const taken = Array.from({ length: 255 }, (_, i) => iface(`n${i}`, `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`));
  const { admit } = setup([vm('big', taken)]);
  const r = admit(create(vmi('x', [iface('default')])));
  assert.ok('causes' in r);
  assert.equal(r.causes[0]?.field, 'spec.domain.devices.interfaces[0].macAddress');
  assert.match(r.causes[0]?.message ?? '', /failed to allocate a mac address: the MAC pool 02:00:00:00:00:00-02:00:00:00:00:ff is exhausted/);
});

test('leaves malformed MACs and other kinds to validation', () => {
  const { admit } = setup();
  const out = admitted(admit(create(vmi('a', [iface('x', 'zz'), { name: 'y', macAddress: 7 }]))));
  assert.deepEqual(macsOf(out), ['zz', 7]);
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } };
  assert.equal(admitted(admit(create(ns))), ns);
});
