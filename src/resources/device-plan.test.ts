import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUTO_RNG_ANNOTATION, DevicePlanError, guestMemoryMiB, planFirmware, planVmi, planVolumes, rngAddedFor, type Vmi } from './device-plan.ts';
import type { VmiSpec } from './vmi-schema.ts';

const vmi = (spec: VmiSpec, name = 'seed'): Vmi => ({ metadata: { name, namespace: 'ns1', uid: 'u1' }, spec });

const seed: VmiSpec = {
  domain: {
    resources: { requests: { memory: '1024M' } },
    devices: {
      disks: [
        { name: 'root', bootOrder: 2, disk: { bus: 'virtio' } },
        { name: 'seed', cdrom: {} },
        { name: 'scratch', bootOrder: 0 },
      ],
      interfaces: [{ name: 'pxe', bridge: {}, bootOrder: 1, macAddress: '02:00:00:00:00:01' }],
    },
  },
  networks: [{ name: 'pxe', multus: { networkName: 'pxe-net' } }],
  volumes: [
    { name: 'root', containerDisk: { image: 'example/disk:1', imagePullPolicy: 'Always' } },
    { name: 'seed', cloudInitNoCloud: { userData: '#cloud-config\n' } },
    { name: 'scratch', emptyDisk: { capacity: '1Gi' } },
    { name: 'host', hostDisk: { path: '/x' } },
  ],
};

test('guest memory: Kubernetes quantities rounded up to MiB, memory.guest first', () => {
  assert.equal(guestMemoryMiB({ memory: { guest: '1Gi' } }), 1024);
  assert.equal(guestMemoryMiB({ resources: { requests: { memory: '128M' } } }), 123);
  assert.equal(guestMemoryMiB({ memory: { guest: '256Mi' }, resources: { requests: { memory: '1Gi' } } }), 256);
  assert.throws(() => guestMemoryMiB({}), DevicePlanError);
  assert.throws(() => guestMemoryMiB({ memory: { guest: 'lots' } }), (err: unknown) => err instanceof DevicePlanError && err.path === 'spec.domain.memory.guest');
});

test('one bootOrder rule for disks and NICs: a positive integer is the boot index, anything else none', () => {
  const plan = planVmi(vmi(seed));
  assert.deepEqual(plan.disks.map((d) => d.bootOrder), [2, undefined, undefined]);
  assert.deepEqual(plan.nics.map((n) => n.bootOrder), [1]);
});

test('disks: kind, bus (sata when unnamed), CD-ROMs read-only, and the backing volume', () => {
  const plan = planVmi(vmi(seed));
  assert.deepEqual(
    plan.disks.map((d) => [d.name, d.at, d.kind, d.bus, d.readonly, d.volume?.type]),
    [
      ['root', 'spec.domain.devices.disks[0]', 'disk', 'virtio', false, 'containerDisk'],
      ['seed', 'spec.domain.devices.disks[1]', 'cdrom', 'sata', true, 'cloudInitNoCloud'],
      ['scratch', 'spec.domain.devices.disks[2]', 'disk', 'sata', false, 'emptyDisk'],
    ],
  );
});

test('volumes in spec order with their sources; a type the runtime cannot prepare is named', () => {
  const { volumes, cloudInit } = planVolumes(vmi(seed));
  assert.deepEqual(volumes, [
    { name: 'root', type: 'containerDisk', image: 'example/disk:1', pullPolicy: 'Always' },
    { name: 'seed', type: 'cloudInitNoCloud', source: { userData: '#cloud-config\n' } },
    { name: 'scratch', type: 'emptyDisk', capacity: '1Gi' },
    { name: 'host', type: 'unsupported', found: 'hostDisk' },
  ]);
  assert.deepEqual(cloudInit, { instanceId: 'u1', hostname: 'seed' });
});

test('firmware is read in one place: BIOS by default, EFI with secure boot only when asked, SMBIOS uuid and serial', () => {
  assert.deepEqual(planFirmware({}), { bootloader: 'bios', secureBoot: false });
  assert.deepEqual(planFirmware({ firmware: { bootloader: { efi: {} } } }), { bootloader: 'efi', secureBoot: false });
  assert.deepEqual(planFirmware({ firmware: { bootloader: { efi: { secureBoot: true } }, uuid: 'a-b', serial: 'S1' } }), { bootloader: 'efi', secureBoot: true, uuid: 'a-b', serial: 'S1' });
  const spec: VmiSpec = { ...seed, hostname: 'node1', domain: { ...seed.domain, firmware: { uuid: '11111111-2222-3333-4444-555555555555' } } };
  assert.deepEqual(planVolumes(vmi(spec)).cloudInit, { instanceId: '11111111-2222-3333-4444-555555555555', hostname: 'node1' });
});

test('machine, CPU topology and model, graphics and rng', () => {
  const plan = planVmi(vmi({ ...seed, domain: { ...seed.domain, cpu: { sockets: 2, cores: 0, model: 'Haswell' }, machine: { type: 'pc-q35-7.2' }, devices: { ...seed.domain.devices, autoattachGraphicsDevice: false, rng: {} } } }));
  assert.equal(plan.machine, 'pc-q35-7.2');
  assert.deepEqual(plan.cpu, { sockets: 2, cores: 1, threads: 1, model: 'Haswell' });
  assert.equal(plan.graphics, false);
  assert.equal(plan.rng, true);
  const plain = planVmi(vmi(seed));
  assert.deepEqual([plain.machine, plain.cpu.model, plain.graphics, plain.rng, plain.memoryMiB], ['q35', 'host-model', true, false, 977]);
});

test('an EFI VMI that boots from a NIC gets an RNG (edk2 shows no network boot without one) unless asked or opted out', () => {
  const efi: VmiSpec = { ...seed, domain: { ...seed.domain, firmware: { bootloader: { efi: { secureBoot: false } } } } };
  const added = planVmi(vmi(efi));
  assert.deepEqual([added.rng, added.rngAdded], [true, true]);
  assert.equal(rngAddedFor(vmi(efi)), true);
  const asked = planVmi(vmi({ ...efi, domain: { ...efi.domain, devices: { ...efi.domain.devices, rng: {} } } }));
  assert.deepEqual([asked.rng, asked.rngAdded], [true, false]);
  const optedOut: Vmi = { metadata: { name: 'seed', uid: 'u1', annotations: { [AUTO_RNG_ANNOTATION]: 'false' } }, spec: efi };
  assert.deepEqual([planVmi(optedOut).rng, rngAddedFor(optedOut)], [false, false]);
  const bios = planVmi(vmi(seed));
  assert.deepEqual([bios.rng, bios.rngAdded], [false, false], 'BIOS firmware needs none');
  const noNicBoot: VmiSpec = { ...efi, domain: { ...efi.domain, devices: { ...efi.domain.devices, interfaces: [{ name: 'pxe', bridge: {} }] } } };
  assert.equal(planVmi(vmi(noNicBoot)).rng, false, 'no NIC in the boot order: none');
});

test('persistentVolumeClaim and dataVolume volumes are backed by the claim of their name', () => {
  const spec: VmiSpec = { ...seed, volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-claim', readOnly: true } }, { name: 'root', dataVolume: { name: 'root-dv' } }] };
  assert.deepEqual(planVolumes(vmi(spec)).volumes, [
    { name: 'data', type: 'claim', claimName: 'data-claim', from: 'persistentVolumeClaim', readonly: true },
    { name: 'root', type: 'claim', claimName: 'root-dv', from: 'dataVolume', readonly: false },
  ]);
});

test('configMap and secret volumes are config disks of their object, labelled cfgdata unless volumeLabel says otherwise', () => {
  const spec: VmiSpec = { ...seed, volumes: [{ name: 'cfg', configMap: { name: 'app', volumeLabel: 'OEMDRV' } }, { name: 'keys', secret: { secretName: 'ssh', optional: true } }] };
  assert.deepEqual(planVolumes(vmi(spec)).volumes, [
    { name: 'cfg', type: 'config', kind: 'ConfigMap', objectName: 'app', optional: false, label: 'OEMDRV' },
    { name: 'keys', type: 'config', kind: 'Secret', objectName: 'ssh', optional: true, label: 'cfgdata' },
  ]);
});
