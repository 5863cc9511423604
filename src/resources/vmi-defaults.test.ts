import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultVmi } from './vmi-kind.ts';
import { firmwareUuidFor } from './vmi-defaults.ts';
import { setPath, validVmi } from '../../test/helpers/kubevirt-fixtures.ts';

type Obj = Record<string, any>;
const created = (o: Obj): Obj => defaultVmi(o, 'CREATE') as Obj;

test('no interfaces and no networks: pod network "default" with a bridge interface', () => {
  const vmi = setPath(setPath(validVmi(), 'spec.networks', undefined), 'spec.domain.devices.interfaces', undefined);
  const out = created(vmi);
  assert.deepEqual(out.spec.networks, [{ name: 'default', pod: {} }]);
  assert.deepEqual(out.spec.domain.devices.interfaces, [{ name: 'default', bridge: {} }]);
});

test('given networks are left alone, and autoattachPodInterface: false adds none', () => {
  assert.equal(created(validVmi()).spec.networks.length, 2);
  const vmi = setPath(setPath(validVmi(), 'spec.networks', undefined), 'spec.domain.devices.interfaces', undefined);
  setPath(vmi, 'spec.domain.devices.autoattachPodInterface', false);
  assert.equal(created(vmi).spec.networks, undefined);
});

test('a disk with no target becomes disk: {} with bus sata; a set bus is kept', () => {
  const vmi = setPath(validVmi(), 'spec.domain.devices.disks', [{ name: 'root' }, { name: 'b', disk: { bus: 'virtio' } }, { name: 'c', cdrom: {} }]);
  const disks = created(vmi).spec.domain.devices.disks;
  assert.deepEqual(disks[0], { name: 'root', disk: { bus: 'sata' } });
  assert.deepEqual(disks[1].disk, { bus: 'virtio' });
  assert.deepEqual(disks[2].cdrom, { bus: 'sata', readonly: true, tray: 'closed' });
});

test('a volume without a disk gets a disk named after it', () => {
  const vmi = setPath(validVmi(), 'spec.volumes[1]', { name: 'ci', cloudInitNoCloud: { userData: '#cloud-config' } });
  const disks = created(vmi).spec.domain.devices.disks;
  assert.deepEqual(disks[1], { name: 'ci', disk: { bus: 'sata' } });
});

test('machine type unset or "" becomes q35; a given one is kept', () => {
  assert.equal(created(validVmi()).spec.domain.machine.type, 'q35');
  assert.equal(created(setPath(validVmi(), 'spec.domain.machine', { type: '' })).spec.domain.machine.type, 'q35');
  assert.equal(created(setPath(validVmi(), 'spec.domain.machine', { type: 'pc-q35-rhel9.4.0' })).spec.domain.machine.type, 'pc-q35-rhel9.4.0');
});

test('firmware uuid is KubeVirt\'s name-derived UUIDv5, and a given one is kept', () => {
  const out = created(validVmi());
  assert.equal(out.spec.domain.firmware.uuid, firmwareUuidFor('test-vmi'));
  assert.equal(created(validVmi()).spec.domain.firmware.uuid, out.spec.domain.firmware.uuid);
  const given = setPath(validVmi(), 'spec.domain.firmware', { uuid: '5d307ca9-b3ef-428c-8861-06e72d69f223' });
  assert.equal(created(given).spec.domain.firmware.uuid, '5d307ca9-b3ef-428c-8861-06e72d69f223');
});

test('guest memory follows the request; CPU topology is 1/1/1 with host-model', () => {
  const out = created(validVmi());
  assert.equal(out.spec.domain.memory.guest, '64Mi');
  assert.deepEqual(out.spec.domain.cpu, { sockets: 1, cores: 1, threads: 1, model: 'host-model' });
  const twoCpus = created(setPath(validVmi(), 'spec.domain.resources.limits', { cpu: '2' }));
  assert.equal(twoCpus.spec.domain.cpu.sockets, 2);
});

test('container disk pull policy: Always without a tag or with :latest, else IfNotPresent', () => {
  assert.equal(created(validVmi()).spec.volumes[0].containerDisk.imagePullPolicy, 'IfNotPresent');
  const untagged = setPath(validVmi(), 'spec.volumes[0].containerDisk.image', 'example/disk');
  assert.equal(created(untagged).spec.volumes[0].containerDisk.imagePullPolicy, 'Always');
});

test('terminationGracePeriodSeconds stays unset; status.phase becomes Pending', () => {
  const out = created(validVmi());
  assert.equal('terminationGracePeriodSeconds' in out.spec, false);
  assert.equal(out.status.phase, 'Pending');
});

test('defaulting is pure and does nothing on UPDATE', () => {
  const vmi = validVmi();
  const before = JSON.stringify(vmi);
  created(vmi);
  assert.equal(JSON.stringify(vmi), before);
  assert.deepEqual(defaultVmi(vmi, 'UPDATE'), vmi);
});

test('arm64: machine type virt, virtio disks and UEFI without Secure Boot, as KubeVirt defaults arm64', () => {
  const vmi = setPath(setPath(validVmi(), 'spec.architecture', 'arm64'), 'spec.domain.devices.disks', [{ name: 'root' }]);
  const out = created(vmi);
  assert.equal(out.spec.domain.machine.type, 'virt');
  assert.deepEqual(out.spec.domain.devices.disks[0], { name: 'root', disk: { bus: 'virtio' } });
  assert.deepEqual(out.spec.domain.firmware.bootloader, { efi: { secureBoot: false } });
  // A bootloader asked for is kept (admission refuses bios on arm64, naming the field).
  const bios = created(setPath(setPath(validVmi(), 'spec.architecture', 'arm64'), 'spec.domain.firmware', { bootloader: { bios: {} } }));
  assert.deepEqual(bios.spec.domain.firmware.bootloader, { bios: {} });
});
