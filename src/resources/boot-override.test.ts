import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyBootOverride, formatBootOverride, NO_OVERRIDE, parseBootOverride } from './boot-override.ts';
import type { DiskPlan } from './device-plan.ts';
import type { NicPlan } from './nic-plan.ts';

const disk = (name: string, kind: DiskPlan['kind'], bootOrder?: number): DiskPlan => ({ name, at: `d.${name}`, kind, bus: 'virtio', readonly: false, ...(bootOrder ? { bootOrder } : {}) });
const nic = (name: string, bootOrder?: number): NicPlan => ({ name, network: { name }, model: 'virtio', ports: [], ...(bootOrder ? { bootOrder } : {}) }) as unknown as NicPlan;

test('Pxe puts every NIC first and keeps the spec order after it', () => {
  const out = applyBootOverride([disk('root', 'disk', 1), disk('cd', 'cdrom')], [nic('a'), nic('b', 2)], { target: 'Pxe', enabled: 'Once', mode: 'UEFI' });
  assert.deepEqual(out.nics.map((n) => n.bootOrder), [1, 2]);
  assert.deepEqual(out.disks.map((d) => d.bootOrder), [3, undefined]);
});

test('Cd targets CD-ROMs only; Hdd disks only', () => {
  const disks = [disk('root', 'disk', 2), disk('cd', 'cdrom')];
  assert.deepEqual(applyBootOverride(disks, [nic('a', 1)], { target: 'Cd', enabled: 'Continuous', mode: 'UEFI' }).disks.map((d) => d.bootOrder), [3, 1]);
  const hdd = applyBootOverride(disks, [nic('a', 1)], { target: 'Hdd', enabled: 'Once', mode: 'Legacy' });
  assert.deepEqual([hdd.disks.map((d) => d.bootOrder), hdd.nics.map((n) => n.bootOrder)], [[1, undefined], [2]]);
});

test('a disabled override, or one naming a device the VMI lacks, changes nothing', () => {
  const disks = [disk('root', 'disk', 1)];
  assert.equal(applyBootOverride(disks, [], { target: 'Pxe', enabled: 'Disabled', mode: 'UEFI' }).disks, disks);
  assert.equal(applyBootOverride(disks, [], { target: 'Cd', enabled: 'Once', mode: 'UEFI' }).disks, disks);
});

test('an unreadable annotation is no override; a written one reads back', () => {
  assert.deepEqual(parseBootOverride('{bad'), NO_OVERRIDE);
  assert.deepEqual(parseBootOverride('{"target":"Floppy","enabled":"Once","mode":"UEFI"}'), NO_OVERRIDE);
  const o = { target: 'Pxe', enabled: 'Once', mode: 'Legacy' } as const;
  assert.deepEqual(parseBootOverride(formatBootOverride(o)), o);
});
