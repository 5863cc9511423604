import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandVmi } from './vm-instancetype.ts';

const vmi = () => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm', namespace: 'default' },
  spec: { domain: { devices: { disks: [{ name: 'root' }] } }, volumes: [{ name: 'root', containerDisk: { image: 'example/disk:1' } }] },
});
const vmSpec = { instancetype: { name: 'cx1.medium' }, preference: { name: 'windows.11' } };

test('a VM on cx1 and a TPM preference starts with a Warning naming what pxevirt does not enforce', () => {
  const out = expandVmi(vmi(), vmSpec, {
    instancetype: { cpu: { guest: 1, dedicatedCPUPlacement: true }, memory: { guest: '2Gi', hugepages: { pageSize: '2Mi' } } },
    preference: { devices: { preferredTPM: { persistent: true } } },
  });
  assert.ok(out.vmi, 'the VMI is still created');
  assert.equal((out.vmi.spec as any).domain.cpu.dedicatedCpuPlacement, true);
  const warning = out.events.find((e) => e.reason === 'InstancetypeFieldsNotEnforced');
  assert.equal(warning?.type, 'Warning');
  assert.match(warning!.message, /^in the VMI but not enforced by pxevirt: spec\.cpu\.dedicatedCPUPlacement \(.*; spec\.memory\.hugepages \(pageSize 2Mi.*; spec\.devices\.preferredTPM \(the guest gets no TPM\)$/);
});

test('a VM on u1 with a plain preference gets no Warning', () => {
  const out = expandVmi(vmi(), vmSpec, { instancetype: { cpu: { guest: 1 }, memory: { guest: '2Gi' } }, preference: { devices: { preferredDiskBus: 'virtio' } } });
  assert.ok(out.vmi);
  assert.deepEqual(out.events, []);
});
