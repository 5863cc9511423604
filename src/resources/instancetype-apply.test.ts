import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryQuantity, expandInstancetype, guestTopology } from './instancetype-apply.ts';
import type { InstancetypeSpec, PreferenceSpec } from './instancetype-schema.ts';
import { matcherCauses, matcherKind, revisionFor } from './instancetype-matcher.ts';
import { instancetypeSpecCauses } from './instancetype-kinds.ts';
import { validateVm, defaultVm } from './vm-kind.ts';

const u1small: InstancetypeSpec = { cpu: { guest: 1 }, memory: { guest: '2Gi' } };
const linux: PreferenceSpec = { devices: { preferredDiskBus: 'virtio', preferredInterfaceModel: 'virtio', preferredRng: {} } };
const base = 'spec.template.spec';

const template = () => ({
  domain: { devices: { disks: [{ name: 'root' }], interfaces: [{ name: 'default', masquerade: {} }] } },
  networks: [{ name: 'default', pod: {} }],
  volumes: [{ name: 'root', containerDisk: { image: 'example/disk:1' } }],
});

test('u1.small and the linux preference give 1 vCPU, 2Gi and virtio devices with an RNG', () => {
  const out = expandInstancetype(base, template(), {}, u1small, linux);
  assert.deepEqual(out.conflicts, []);
  const domain = out.spec.domain as Record<string, any>;
  assert.deepEqual(domain.cpu, { sockets: 1, cores: 1, threads: 1 });
  assert.equal(domain.memory.guest, '2Gi');
  assert.equal(domain.devices.disks[0].disk.bus, 'virtio');
  assert.equal(domain.devices.interfaces[0].model, 'virtio');
  assert.deepEqual(domain.devices.rng, {});
  assert.deepEqual(out.leftOut, []);
});

test('what the VM sets itself wins over the preference', () => {
  const t = template();
  (t.domain.devices.disks[0] as Record<string, unknown>).disk = { bus: 'sata' };
  (t.domain.devices.interfaces[0] as Record<string, unknown>).model = 'e1000';
  const out = expandInstancetype(base, t, {}, undefined, { ...linux, machine: { preferredMachineType: 'pc-q35-8.2' }, firmware: { preferredUseEfi: true, preferredUseSecureBoot: false } });
  const domain = out.spec.domain as Record<string, any>;
  assert.equal(domain.devices.disks[0].disk.bus, 'sata');
  assert.equal(domain.devices.interfaces[0].model, 'e1000');
  assert.equal(domain.machine.type, 'pc-q35-8.2');
  assert.deepEqual(domain.firmware.bootloader, { efi: { secureBoot: false } });
});

test('a VM setting CPU topology or memory with an instancetype gets KubeVirt\'s conflict messages', () => {
  const t = template() as Record<string, any>;
  t.domain.cpu = { sockets: 2, cores: 2 };
  t.domain.memory = { guest: '1Gi' };
  const out = expandInstancetype(base, t, {}, u1small, undefined);
  assert.deepEqual(
    out.conflicts.map((c) => [c.field, c.message]),
    [
      ['spec.template.spec.domain.cpu.sockets', 'VM field(s) spec.template.spec.domain.cpu.sockets conflicts with selected instance type'],
      ['spec.template.spec.domain.cpu.cores', 'VM field(s) spec.template.spec.domain.cpu.cores conflicts with selected instance type'],
      ['spec.template.spec.domain.memory.guest', 'VM field(s) spec.template.spec.domain.memory.guest conflicts with selected instance type'],
    ],
  );
});

test('topologies: sockets by default, cores, threads and spread as KubeVirt computes them', () => {
  assert.deepEqual(guestTopology(4, undefined), { sockets: 4, cores: 1, threads: 1 });
  assert.deepEqual(guestTopology(4, { cpu: { preferredCPUTopology: 'cores' } }), { sockets: 1, cores: 4, threads: 1 });
  assert.deepEqual(guestTopology(4, { cpu: { preferredCPUTopology: 'threads' } }), { sockets: 1, cores: 1, threads: 4 });
  assert.deepEqual(guestTopology(8, { cpu: { preferredCPUTopology: 'spread' } }), { sockets: 4, cores: 2, threads: 1 });
  assert.deepEqual(guestTopology(8, { cpu: { preferredCPUTopology: 'spread', spreadOptions: { across: 'SocketsCoresThreads' } } }), { sockets: 2, cores: 2, threads: 2 });
  const odd = expandInstancetype(base, template(), {}, { cpu: { guest: 3 }, memory: { guest: '1Gi' } }, { cpu: { preferredCPUTopology: 'spread' } });
  assert.match(odd.conflicts[0]?.message ?? '', /^3 vCPUs provided by the instance type are not divisible by the Spec.PreferSpreadSocketToCoreRatio/);
});

test('overcommitPercent requests less memory than the guest sees; GPUs are left out and named', () => {
  const out = expandInstancetype(base, template(), {}, { cpu: { guest: 2 }, memory: { guest: '2Gi', overcommitPercent: 50 }, gpus: [{ name: 'g', deviceName: 'nvidia.com/A100' }] }, undefined);
  const domain = out.spec.domain as Record<string, any>;
  assert.equal(domain.resources.requests.memory, '1Gi');
  assert.equal(domain.devices.gpus, undefined);
  assert.deepEqual(out.leftOut, ['spec.gpus (1 GPU(s): pxevirt passes no GPUs through)']);
  assert.equal(binaryQuantity(1000), '1000');
});

test('instancetype webhook checks and the matcher rules use KubeVirt\'s words', () => {
  assert.deepEqual(instancetypeSpecCauses({ memory: { guest: '1Gi', overcommitPercent: 120 } }).map((c) => c.message), ["spec.memory.overcommitPercent '120': must be in range between 0 and 100."]);
  const vm = { spec: { instancetype: { kind: '' } } };
  assert.deepEqual(matcherCauses(vm, undefined).map((c) => c.message), ['Either Name or InferFromVolume should be provided within the InstancetypeMatcher']);
  const old = { spec: { instancetype: { name: 'a', revisionName: 'r' } } };
  assert.deepEqual(matcherCauses({ spec: { instancetype: { name: 'b', revisionName: 'r' } } }, old).map((c) => c.message), ['the Matcher Name has been updated without updating the RevisionName']);
  assert.equal(matcherKind('instancetype', {}), 'VirtualMachineClusterInstancetype');
  assert.equal(matcherKind('preference', { kind: 'VirtualMachinePreference' }), 'VirtualMachinePreference');
  assert.equal(matcherKind('preference', { kind: 'Nope' }), undefined);
});

test('a revision is named and labelled like KubeVirt\'s and owned by the VM', () => {
  const rev = revisionFor(
    { metadata: { name: 'vm1', namespace: 'default', uid: 'vm-uid' } },
    { kind: 'VirtualMachineClusterInstancetype', metadata: { name: 'u1.small', uid: 'it-uid', generation: 2, labels: { x: 'y' } }, spec: u1small },
  );
  assert.equal(rev.metadata.name, 'vm1-u1.small-v1beta1-it-uid-2');
  assert.equal((rev.metadata.labels as Record<string, string>)['instancetype.kubevirt.io/object-kind'], 'VirtualMachineClusterInstancetype');
  assert.deepEqual((rev.data.metadata as Record<string, unknown>).labels, undefined);
});

test('a VM with an instancetype needs no memory of its own, and its template keeps CPU and memory unset', () => {
  const vm = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'vm1', namespace: 'default' }, spec: { runStrategy: 'Always', instancetype: { name: 'u1.small' }, preference: { name: 'linux' }, template: { spec: template() } } };
  const defaulted = defaultVm(vm) as any;
  assert.equal(defaulted.spec.template.spec.domain.cpu, undefined);
  assert.equal(defaulted.spec.template.spec.domain.devices.disks[0].disk, undefined);
  assert.deepEqual(validateVm(defaulted, { operation: 'CREATE' }), []);
  const without = { ...vm, spec: { ...vm.spec, instancetype: undefined } };
  assert.match(validateVm(defaultVm(without), { operation: 'CREATE' }).map((c) => c.message).join(), /no memory requested/);
});

test('a ControllerRevision\'s data cannot change, and kubectl shows its controller', async () => {
  const { controllerRevisionKind } = await import('./controller-revision-kind.ts');
  const rev = revisionFor({ metadata: { name: 'vm1', namespace: 'default', uid: 'vm-uid' } }, { kind: 'VirtualMachineClusterPreference', metadata: { name: 'linux', uid: 'p-uid' }, spec: {} });
  assert.deepEqual(controllerRevisionKind.validate(rev, { operation: 'CREATE' }), []);
  const changed = { ...rev, data: { ...rev.data, spec: { machine: { preferredMachineType: 'q35' } } } };
  assert.deepEqual(controllerRevisionKind.validate(changed, { operation: 'UPDATE', old: rev }).map((c) => c.message), ['Invalid value: the data of a ControllerRevision: field is immutable']);
  assert.equal(controllerRevisionKind.printerColumns[0]?.value?.(rev), 'virtualmachine.kubevirt.io/vm1');
});
