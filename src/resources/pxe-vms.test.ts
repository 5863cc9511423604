import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostVmMatches, vmMatch, vmOnNetwork, vmsWithMac } from './pxe-vms.ts';

const vm = {
  kind: 'VirtualMachine',
  metadata: { name: 'installer', namespace: 'default', labels: { role: 'installer' } },
  spec: {
    template: {
      spec: {
        domain: { devices: { interfaces: [{ name: 'default', masquerade: {}, macAddress: '02:aa:00:00:00:01' }, { name: 'pxe', bridge: {}, macAddress: '02:AA:00:00:00:02' }] } },
        networks: [{ name: 'default', pod: {} }, { name: 'pxe', multus: { networkName: 'pxe-net-conf' } }],
      },
    },
  },
};
const vmi = {
  kind: 'VirtualMachineInstance',
  metadata: { name: 'plain', namespace: 'lab' },
  spec: { domain: { devices: { interfaces: [{ name: 'pxe', bridge: {} }] } }, networks: [{ name: 'pxe', multus: { networkName: 'default/pxe-net-conf' } }] },
  status: { interfaces: [{ name: 'pxe', mac: '02:bb:00:00:00:01' }] },
};

test('a VM on the NAD is listed with the MACs of its interfaces on that NAD only (spec or status)', () => {
  assert.deepEqual(vmOnNetwork(vm, 'default/pxe-net-conf'), { kind: 'VirtualMachine', namespace: 'default', name: 'installer', labels: { role: 'installer' }, macs: ['02:aa:00:00:00:02'] });
  assert.deepEqual(vmOnNetwork(vmi, 'default/pxe-net-conf'), { kind: 'VirtualMachineInstance', namespace: 'lab', name: 'plain', macs: ['02:bb:00:00:00:01'] });
  assert.equal(vmOnNetwork(vm, 'other/pxe-net-conf'), undefined, 'a NAD name is resolved in the VM namespace');
  assert.equal(vmOnNetwork({ ...vm, kind: 'Pod' }, 'default/pxe-net-conf'), undefined);
});

test('vmSelector and vmName match by labels and by (namespace/)name', () => {
  const a = vmOnNetwork(vm, 'default/pxe-net-conf')!;
  const b = vmOnNetwork(vmi, 'default/pxe-net-conf')!;
  const bySelector = { vmSelector: { matchLabels: { role: 'installer' } } };
  assert.equal(vmMatch(bySelector, a), 'vmSelector role=installer (VirtualMachine default/installer)');
  assert.equal(vmMatch(bySelector, b), undefined);
  assert.ok(vmMatch({ vmName: 'plain' }, b));
  assert.ok(vmMatch({ vmName: 'lab/plain' }, b));
  assert.equal(vmMatch({ vmName: 'default/plain' }, b), undefined);
  assert.equal(vmMatch({ mac: '02:bb:00:00:00:01' }, b), undefined, 'a selector without VM fields is not a VM match');
  assert.deepEqual(vmsWithMac([a, b], '02-BB-00-00-00-01'), [b]);
  assert.deepEqual(hostVmMatches([{ selector: { mac: '02:00:00:00:00:01' }, image: 'x' }, { selector: bySelector, image: 'installer' }], [a, b]), [
    { host: 1, image: 'installer', vms: ['VirtualMachine default/installer (02:aa:00:00:00:02)'] },
  ]);
});
