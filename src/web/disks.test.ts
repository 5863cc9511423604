import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diskRows, progressPercent, type Obj } from './client/disks.ts';

const obj = (name: string, rest: Partial<Obj>): Obj => ({ metadata: { name, namespace: 'default' }, ...rest });
const dvs: Record<string, Obj> = {
  root: obj('root', { spec: { storage: { resources: { requests: { storage: '2Gi' } } } }, status: { phase: 'ImportInProgress', progress: '45.2%' } }),
  bad: obj('bad', { spec: { pvc: { resources: { requests: { storage: '1Gi' } } } }, status: { phase: 'Failed', progress: 'N/A', conditions: [{ type: 'Ready', status: 'False' }, { type: 'Running', status: 'False', message: 'http://x/y: not a disk image' }] } }),
};
const pvcs: Record<string, Obj> = {
  root: obj('root', { spec: { resources: { requests: { storage: '2Gi' } } }, status: { phase: 'Bound', capacity: { storage: '2Gi' } } }),
  data: obj('data', { spec: { resources: { requests: { storage: '100Mi' } } }, status: { phase: 'Pending' } }),
};
const lookup = { dataVolume: (n: string) => dvs[n], pvc: (n: string) => pvcs[n] };

test('each disk with its device, its volume\'s source, and its DataVolume\'s or claim\'s size, phase and progress', () => {
  const spec = {
    domain: { devices: { disks: [
      { name: 'root', bootOrder: 2, disk: { bus: 'virtio' } },
      { name: 'data', disk: { bus: 'virtio' } },
      { name: 'bad', disk: {} },
      { name: 'scratch', disk: { bus: 'virtio' } },
      { name: 'cfg', cdrom: { bus: 'sata' } },
      { name: 'gone', disk: { bus: 'virtio' } },
    ] } },
    volumes: [
      { name: 'root', dataVolume: { name: 'root' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'bad', dataVolume: { name: 'bad' } },
      { name: 'scratch', emptyDisk: { capacity: '1Gi' } },
      { name: 'cfg', configMap: { name: 'app' } },
      { name: 'gone', dataVolume: { name: 'nowhere' } },
    ],
  };
  assert.deepEqual(diskRows(spec, lookup), [
    { name: 'root', device: 'disk virtio, boot 2', type: 'dataVolume', source: 'root', size: '2Gi', phase: 'ImportInProgress', progress: 45.2 },
    { name: 'data', device: 'disk virtio', type: 'persistentVolumeClaim', source: 'data', size: '100Mi', phase: 'Pending' },
    { name: 'bad', device: 'disk sata', type: 'dataVolume', source: 'bad', size: '1Gi', phase: 'Failed', message: 'http://x/y: not a disk image' },
    { name: 'scratch', device: 'disk virtio', type: 'emptyDisk', source: '', size: '1Gi', phase: '' },
    { name: 'cfg', device: 'cdrom sata', type: 'configMap', source: 'app', size: '', phase: '' },
    { name: 'gone', device: 'disk virtio', type: 'dataVolume', source: 'nowhere', size: '', phase: 'not found' },
  ]);
});

test('progress is CDI\'s percentage text; N/A and garbage are no progress', () => {
  assert.equal(progressPercent(dvs.root), 45.2);
  assert.equal(progressPercent(dvs.bad), undefined);
  assert.equal(progressPercent(obj('x', { status: { progress: '100.0%' } })), 100);
  assert.equal(progressPercent(obj('x', { status: { progress: '45%%' } })), undefined);
  assert.equal(progressPercent(undefined), undefined);
});
