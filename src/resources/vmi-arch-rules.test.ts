import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cause } from './causes.ts';
import { validateVmi } from './vmi-validate.ts';
import { setPath, validVmi } from '../../test/helpers/kubevirt-fixtures.ts';

type Obj = Record<string, unknown>;
const causesOf = (edit: (vmi: Obj) => void): Cause[] => {
  const vmi = validVmi();
  edit(vmi);
  return validateVmi(vmi, { operation: 'CREATE' });
};
const arm64 = (v: Obj) => setPath(v, 'spec.architecture', 'arm64');

test('amd64, arm64 and unset architectures are accepted; another is refused naming the field and the found value', () => {
  assert.deepEqual(causesOf(() => undefined), []);
  assert.deepEqual(causesOf((v) => setPath(v, 'spec.architecture', 'amd64')), []);
  assert.deepEqual(causesOf(arm64), []);
  const [c] = causesOf((v) => setPath(v, 'spec.architecture', 's390x'));
  assert.equal(c?.field, 'spec.architecture');
  assert.match(c?.message ?? '', /expected one of amd64, arm64, found "s390x"/);
});

test('arm64 refuses bios, Secure Boot and SATA disks, each at its field', () => {
  const bios = causesOf((v) => (arm64(v), setPath(v, 'spec.domain.firmware', { bootloader: { bios: {} } })));
  assert.deepEqual(bios.map((c) => c.field), ['spec.domain.firmware.bootloader.bios']);
  assert.match(bios[0]?.message ?? '', /Arm64 does not support bios boot.*found bios/);
  const sb = causesOf((v) => (arm64(v), setPath(v, 'spec.domain.firmware', { bootloader: { efi: { secureBoot: true } } })));
  assert.ok(sb.some((c) => c.field === 'spec.domain.firmware.bootloader.efi.secureBoot'), JSON.stringify(sb));
  const sata = causesOf((v) => (arm64(v), setPath(v, 'spec.domain.devices.disks', [{ name: 'd', disk: { bus: 'sata' } }]), setPath(v, 'spec.volumes', [{ name: 'd', emptyDisk: { capacity: '1Gi' } }])));
  assert.ok(sata.some((c) => c.field === 'spec.domain.devices.disks[0].disk.bus'), JSON.stringify(sata));
  // The same spec on amd64 is fine.
  assert.deepEqual(causesOf((v) => setPath(v, 'spec.domain.firmware', { bootloader: { bios: {} } })), []);
});

test('the machine type follows the architecture: virt on arm64, q35 on amd64', () => {
  assert.deepEqual(causesOf((v) => (arm64(v), setPath(v, 'spec.domain.machine', { type: 'virt' }))), []);
  const q35 = causesOf((v) => (arm64(v), setPath(v, 'spec.domain.machine', { type: 'q35' })));
  assert.deepEqual(q35.map((c) => c.field), ['spec.domain.machine.type']);
  assert.match(q35[0]?.message ?? '', /allowed values: \[virt\*\]/);
  assert.equal(causesOf((v) => setPath(v, 'spec.domain.machine', { type: 'virt' }))[0]?.field, 'spec.domain.machine.type');
});
