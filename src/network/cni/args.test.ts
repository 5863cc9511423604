import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPod, cniArgs, pluginEnv } from './args.ts';
import { InvalidAttachmentError } from './errors.ts';

const pod = { namespace: 'default', name: 'vm1', uid: '6f1c2a9e-0000-4000-8000-000000000001', netns: 'pxv-6f1c2a9e', containerId: 'pxevirt-6f1c2a9e' };

test('CNI_ARGS carry IgnoreUnknown and the pod identity in the order Multus writes them', () => {
  assert.equal(cniArgs(pod), 'IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=vm1;K8S_POD_INFRA_CONTAINER_ID=pxevirt-6f1c2a9e;K8S_POD_UID=6f1c2a9e-0000-4000-8000-000000000001');
});

test('a requested MAC is added to CNI_ARGS as MAC=', () => {
  assert.match(cniArgs(pod, 'de:00:00:00:00:de'), /;K8S_POD_UID=[^;]+;MAC=de:00:00:00:00:de$/);
});

test('the plugin environment names the netns path, interface and plugin path list', () => {
  assert.deepEqual(pluginEnv({ command: 'ADD', containerId: 'c1', netnsPath: '/run/netns/p', ifname: 'net1', args: 'IgnoreUnknown=true', pluginDirs: ['/opt/cni/bin', '/usr/lib/cni'] }), {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'c1',
    CNI_NETNS: '/run/netns/p',
    CNI_IFNAME: 'net1',
    CNI_ARGS: 'IgnoreUnknown=true',
    CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
  });
});

test('pod identities that could break CNI_ARGS or paths are refused', () => {
  assert.doesNotThrow(() => checkPod(pod));
  assert.throws(() => checkPod({ ...pod, name: 'a;MAC=x' }), InvalidAttachmentError);
  assert.throws(() => checkPod({ ...pod, containerId: '../../etc' }), /pod\.containerId: expected letters/);
  assert.throws(() => checkPod({ ...pod, netns: '' }), /pod\.netns/);
});
