import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelSplit, describeObject, smartLabel } from './describe.ts';
import { humanDuration } from '../../lib/duration.ts';

test('smart labels split camelCase and upper-case known acronyms, like kubectl', () => {
  assert.equal(smartLabel('apiVersion'), 'API Version');
  assert.equal(smartLabel('creationTimestamp'), 'Creation Timestamp');
  assert.equal(smartLabel('uid'), 'UID');
  assert.equal(smartLabel('macAddress'), 'Mac Address');
  assert.equal(smartLabel('k8s'), 'k8s');
  assert.deepEqual(camelSplit('HTTPServer'), ['HTTP', 'Server']);
});

test('human durations follow apimachinery HumanDuration', () => {
  assert.equal(humanDuration(45_000), '45s');
  assert.equal(humanDuration(119_000), '119s');
  assert.equal(humanDuration(190_000), '3m10s');
  assert.equal(humanDuration(30 * 60_000), '30m');
  assert.equal(humanDuration(5 * 3_600_000 + 7 * 60_000), '5h7m');
  assert.equal(humanDuration(30 * 3_600_000), '30h');
  assert.equal(humanDuration(3 * 86_400_000 + 2 * 3_600_000), '3d2h');
  assert.equal(humanDuration(400 * 86_400_000), '400d');
  assert.equal(humanDuration(-5000), '<invalid>');
});

const now = Date.parse('2026-01-01T00:10:00Z');
const vmi = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'v', namespace: 'default', uid: 'u-1', labels: { b: '2', a: '1' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
  spec: { domain: { devices: { interfaces: [{ name: 'pxe-net', bootOrder: 1 }] } } },
  status: { phase: 'Running' },
};

test('describes any object as indented smart-labelled fields, skipping what the header shows', () => {
  const text = describeObject(vmi, [], now);
  assert.equal(
    text,
    [
      'Name:         v',
      'Namespace:    default',
      'Labels:       a=1',
      '              b=2',
      'Annotations:  <none>',
      'API Version:  kubevirt.io/v1',
      'Kind:         VirtualMachineInstance',
      'Metadata:',
      '  UID:  u-1',
      'Spec:',
      '  Domain:',
      '    Devices:',
      '      Interfaces:',
      '        Boot Order:  1',
      '        Name:        pxe-net',
      'Status:',
      '  Phase:  Running',
      'Events:   <none>',
      '',
    ].join('\n'),
  );
});

test('events print as their own table with ages and repeat counts', () => {
  const text = describeObject(vmi, [
    { type: 'Normal', reason: 'SuccessfulCreate', message: 'Created pod ', count: 3, firstTimestamp: '2026-01-01T00:05:00Z', lastTimestamp: '2026-01-01T00:09:58Z', source: { component: 'virtualmachine-controller' } },
  ], now);
  const tail = text.split('\n').slice(-5).join('\n');
  assert.equal(
    tail,
    [
      'Events:',
      '  Type    Reason            Age              From                       Message',
      '  ----    ------            ----             ----                       -------',
      '  Normal  SuccessfulCreate  2s (x3 over 5m)  virtualmachine-controller  Created pod',
      '',
    ].join('\n'),
  );
});
