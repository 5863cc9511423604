import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generatedMac } from './local-runtime.ts';
import { podFor } from './pod.ts';

test('a pod is named after the first 8 characters of the uid, its run dir after the whole uid', () => {
  assert.deepEqual(podFor('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', { dataDir: '/var/lib/pxevirt' }), {
    uid: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    netns: 'pxv-0f1e2d3c',
    runDir: '/var/lib/pxevirt/run/vmi/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  });
  assert.equal(podFor('0f1e2d3c-4b5a', { dataDir: '/d', netnsPrefix: 'pxt1-' }).netns, 'pxt1-0f1e2d3c');
});

test('a uid that could escape the run dir or the netns name is refused', () => {
  for (const uid of ['../../etc', 'a/b/c/d/e/f', '', 'short', 'x'.repeat(65)]) {
    assert.throws(() => podFor(uid, { dataDir: '/d' }), /VMI uid: expected/, uid);
  }
});

test('interfaces without macAddress get a stable locally administered unicast MAC', () => {
  const mac = generatedMac('0f1e2d3c-4b5a', 'default');
  assert.match(mac, /^02(:[0-9a-f]{2}){5}$/);
  assert.equal(generatedMac('0f1e2d3c-4b5a', 'default'), mac);
  assert.notEqual(generatedMac('0f1e2d3c-4b5a', 'other'), mac);
});
