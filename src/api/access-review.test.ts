import { test } from 'node:test';
import assert from 'node:assert/strict';
import { body, setup } from './handler-fixture.ts';

const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
const review = (spec: Record<string, unknown>) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec });

test('allows the token holder every verb pxevirt serves on every resource it serves', (t) => {
  const { call } = setup(t);
  for (const [group, resource, verb, subresource] of [
    ['kubevirt.io', 'virtualmachineinstances', 'create', ''],
    ['kubevirt.io', 'virtualmachineinstances', 'watch', ''],
    ['kubevirt.io', 'virtualmachines', 'patch', 'status'],
    ['subresources.kubevirt.io', 'virtualmachines', 'update', 'start'],
    ['', 'namespaces', 'delete', ''],
    ['pxe.pxevirt.io', 'pxeservers', '*', ''],
  ]) {
    const r = call('POST', SSAR, { body: review({ resourceAttributes: { namespace: 'default', group, resource, verb, subresource } }) });
    assert.equal(r.status, 201);
    assert.equal(body(r).status.allowed, true, `${verb} ${resource}/${subresource}.${group}`);
  }
});

test('denies, saying why, what pxevirt does not serve', (t) => {
  const { call } = setup(t);
  const pods = body(call('POST', SSAR, { body: review({ resourceAttributes: { verb: 'get', resource: 'pods' } }) }));
  assert.deepEqual(pods.status, { allowed: false, reason: 'pxevirt does not serve pods' });
  const verb = body(call('POST', SSAR, { body: review({ resourceAttributes: { verb: 'escalate', group: 'kubevirt.io', resource: 'virtualmachines' } }) }));
  assert.equal(verb.status.allowed, false);
  assert.match(verb.status.reason, /does not serve escalate on virtualmachines\.kubevirt\.io \(it serves create, delete/);
  const path = body(call('POST', SSAR, { body: review({ nonResourceAttributes: { verb: 'get', path: '/logs' } }) }));
  assert.equal(path.status.allowed, false);
  assert.equal(body(call('POST', SSAR, { body: review({ nonResourceAttributes: { verb: 'get', path: '/healthz' } }) })).status.allowed, true);
});

test('lists the rules of everything served for a SelfSubjectRulesReview, and serves the group in discovery', (t) => {
  const { call } = setup(t);
  const r = body(call('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } } }));
  assert.ok(r.status.resourceRules.some((rule: { apiGroups: string[]; resources: string[]; verbs: string[] }) => rule.apiGroups[0] === 'kubevirt.io' && rule.resources.includes('virtualmachineinstances') && rule.verbs.includes('watch')));
  assert.equal(r.status.incomplete, false);
  const resources = body(call('GET', '/apis/authorization.k8s.io/v1')).resources.map((x: { name: string }) => x.name);
  assert.deepEqual(resources, ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']);
  assert.equal(call('GET', SSAR).status, 405);
});
