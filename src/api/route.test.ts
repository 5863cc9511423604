import { test } from 'node:test';
import assert from 'node:assert/strict';
import { route } from './route.ts';

test('routes discovery and OpenAPI paths', () => {
  assert.deepEqual(route('/version'), { type: 'version' });
  assert.deepEqual(route('/api'), { type: 'coreVersions' });
  assert.deepEqual(route('/api/v1'), { type: 'groupVersion', group: '', version: 'v1' });
  assert.deepEqual(route('/apis'), { type: 'apis' });
  assert.deepEqual(route('/apis/kubevirt.io'), { type: 'group', group: 'kubevirt.io' });
  assert.deepEqual(route('/apis/kubevirt.io/v1'), { type: 'groupVersion', group: 'kubevirt.io', version: 'v1' });
  assert.deepEqual(route('/openapi/v3'), { type: 'openapiV3Index' });
  assert.deepEqual(route('/openapi/v3/api/v1'), { type: 'openapiV3', group: '', version: 'v1' });
  assert.deepEqual(route('/openapi/v3/apis/nmstate.io/v1'), { type: 'openapiV3', group: 'nmstate.io', version: 'v1' });
  assert.deepEqual(route('/openapi/v2'), { type: 'openapiV2' });
  assert.deepEqual(route('/openapi/v2/x'), { type: 'unknown' });
});

test('routes namespaced, cluster-scoped and all-namespaces resource paths', () => {
  assert.deepEqual(route('/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/x/status'), {
    type: 'resource', group: 'kubevirt.io', version: 'v1', namespace: 'default', resource: 'virtualmachineinstances', name: 'x', subresource: 'status', watch: false,
  });
  assert.deepEqual(route('/apis/kubevirt.io/v1/virtualmachineinstances'), { type: 'resource', group: 'kubevirt.io', version: 'v1', resource: 'virtualmachineinstances', watch: false });
  assert.deepEqual(route('/apis/nmstate.io/v1/nodenetworkconfigurationpolicies/p'), { type: 'resource', group: 'nmstate.io', version: 'v1', resource: 'nodenetworkconfigurationpolicies', name: 'p', watch: false });
  assert.deepEqual(route('/api/v1/watch/namespaces/default/events'), { type: 'resource', group: '', version: 'v1', namespace: 'default', resource: 'events', watch: true });
});

test('treats namespaces/{name} and its status as the Namespace resource', () => {
  assert.deepEqual(route('/api/v1/namespaces/default'), { type: 'resource', group: '', version: 'v1', resource: 'namespaces', name: 'default', watch: false });
  assert.deepEqual(route('/api/v1/namespaces/default/status'), { type: 'resource', group: '', version: 'v1', resource: 'namespaces', name: 'default', subresource: 'status', watch: false });
  assert.deepEqual(route('/api/v1/namespaces'), { type: 'resource', group: '', version: 'v1', resource: 'namespaces', watch: false });
});

test('refuses paths with too many segments', () => {
  assert.deepEqual(route('/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/x/status/more'), { type: 'unknown' });
});
