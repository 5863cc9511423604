import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimsNotReady, vmDataVolumeGate } from './volume-readiness.ts';

test('a VM is ready when every template DataVolume succeeded; a failed one is DataVolumeError', () => {
  const phases: Record<string, string> = { a: 'Succeeded', b: 'ImportInProgress', c: 'Failed' };
  const dv = (n: string) => (phases[n] ? { phase: phases[n] } : undefined);
  assert.deepEqual(vmDataVolumeGate(['a'], dv), { ready: true });
  assert.deepEqual(vmDataVolumeGate(['a', 'b'], dv), { ready: false, printableStatus: 'Provisioning' });
  assert.deepEqual(vmDataVolumeGate(['a', 'missing'], dv), { ready: false, printableStatus: 'Provisioning' });
  assert.deepEqual(vmDataVolumeGate(['b', 'c'], dv), { ready: false, printableStatus: 'DataVolumeError' });
});

test('a VMI waits for Bound claims and succeeded DataVolumes, and says which', () => {
  const pvcs: Record<string, string> = { bound: 'Bound', pending: 'Pending', imported: 'Bound' };
  const dvs: Record<string, string> = { imported: 'ImportInProgress' };
  const lookup = { pvc: (n: string) => (pvcs[n] ? { phase: pvcs[n] } : undefined), dataVolume: (n: string) => (dvs[n] ? { phase: dvs[n] } : undefined) };
  assert.equal(claimsNotReady([{ name: 'root', containerDisk: {} } as never, { name: 'data', persistentVolumeClaim: { claimName: 'bound' } }], lookup), undefined);
  assert.equal(claimsNotReady([{ name: 'data', persistentVolumeClaim: { claimName: 'pending' } }], lookup), 'volume data: PersistentVolumeClaim pending is Pending, waiting for it to be Bound');
  assert.equal(claimsNotReady([{ name: 'data', persistentVolumeClaim: { claimName: 'gone' } }], lookup), 'volume data: PersistentVolumeClaim gone not found');
  assert.equal(claimsNotReady([{ name: 'root', dataVolume: { name: 'imported' } }], lookup), 'volume root: DataVolume imported is ImportInProgress, waiting for it to succeed');
  dvs.imported = 'Succeeded';
  assert.equal(claimsNotReady([{ name: 'root', dataVolume: { name: 'imported' } }], lookup), undefined);
});
