import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandInstancetype } from './instancetype-apply.ts';
import { unenforcedFields } from './instancetype-unenforced.ts';

const template = () => ({ domain: { devices: { disks: [{ name: 'root' }] } }, volumes: [{ name: 'root', containerDisk: { image: 'example/disk:1' } }] });

test('a cx1-like instancetype is carried into the VMI and its dedicated CPUs, hugepages and IO threads are named as not enforced', () => {
  const cx1 = { cpu: { guest: 2, dedicatedCPUPlacement: true, isolateEmulatorThread: true }, memory: { guest: '4Gi', hugepages: { pageSize: '1Gi' } }, ioThreadsPolicy: 'auto' };
  const out = expandInstancetype('spec.template.spec', template(), {}, cx1, undefined);
  const domain = out.spec.domain as Record<string, any>;
  assert.equal(domain.cpu.dedicatedCpuPlacement, true, 'kept in the VMI, as KubeVirt does');
  assert.deepEqual(domain.memory.hugepages, { pageSize: '1Gi' });
  assert.deepEqual(
    out.notEnforced.map((f) => f.split(' ')[0]),
    ['spec.cpu.dedicatedCPUPlacement', 'spec.cpu.isolateEmulatorThread', 'spec.memory.hugepages', 'spec.ioThreadsPolicy'],
  );
  assert.match(out.notEnforced[2]!, /pageSize 1Gi: guest memory is ordinary host memory/);
});

test('a windows.11-like preference names its TPM, Hyper-V, timers, tablet and persistent EFI', () => {
  const names = unenforcedFields(undefined, {
    devices: { preferredTPM: { persistent: true }, preferredAutoattachInputDevice: true },
    features: { preferredHyperv: { relaxed: {} } },
    clock: { preferredTimer: { hpet: { present: false } } },
    firmware: { preferredEfi: { persistent: true, secureBoot: true } },
  }).map((f) => f.split(' ')[0]);
  assert.deepEqual(names, [
    'spec.devices.preferredTPM',
    'spec.devices.preferredAutoattachInputDevice/preferredInputType',
    'spec.features.preferredHyperv',
    'spec.clock.preferredTimer',
    'spec.firmware.preferredEfi.persistent',
  ]);
});

test('u1 with a plain linux preference has nothing unenforced, and a conflicting VM reports none', () => {
  assert.deepEqual(unenforcedFields({ cpu: { guest: 1 }, memory: { guest: '2Gi' } }, { devices: { preferredDiskBus: 'virtio', preferredRng: {} } }), []);
  const t = template() as Record<string, any>;
  t.domain.cpu = { sockets: 2 };
  const out = expandInstancetype('spec.template.spec', t, {}, { cpu: { guest: 1, dedicatedCPUPlacement: true }, memory: { guest: '2Gi' } }, undefined);
  assert.equal(out.conflicts.length, 1);
  assert.deepEqual(out.notEnforced, []);
});
