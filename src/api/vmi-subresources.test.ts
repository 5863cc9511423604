// Routing of the VMI subresources, the websocket bearer convention, and log tails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerProtocol, bearerToken } from './auth.ts';
import { lastLines, matchVmiSubresource } from './vmi-subresources.ts';

test('matches console, vnc, vnc/screenshot, log, pause, unpause and softreboot under both versions, nothing else', () => {
  const base = '/apis/subresources.kubevirt.io/v1/namespaces/ns1/virtualmachineinstances/vm%2Da';
  assert.deepEqual(matchVmiSubresource(`${base}/console`), { version: 'v1', namespace: 'ns1', name: 'vm-a', subresource: 'console' });
  assert.equal(matchVmiSubresource(`${base}/vnc/screenshot`)?.subresource, 'vnc/screenshot');
  assert.equal(matchVmiSubresource(`${base}/log`)?.subresource, 'log');
  assert.equal(matchVmiSubresource(base.replace('/v1/', '/v1alpha3/') + '/vnc')?.version, 'v1alpha3');
  assert.equal(matchVmiSubresource(base.replace('/v1/', '/v2/') + '/vnc'), undefined);
  assert.equal(matchVmiSubresource(`${base}/pause`)?.subresource, 'pause');
  assert.equal(matchVmiSubresource(`${base}/softreboot`)?.subresource, 'softreboot');
  assert.equal(matchVmiSubresource(`${base}/reset`), undefined);
  assert.equal(matchVmiSubresource(`${base}/vnc/other`), undefined);
  assert.equal(matchVmiSubresource(base), undefined);
  assert.equal(matchVmiSubresource('/apis/subresources.kubevirt.io/v1/namespaces/ns1/virtualmachines/a/start'), undefined);
});

test('the bearer token comes from Authorization, or from the subprotocol on websocket upgrades only', () => {
  assert.equal(bearerToken({ authorization: 'Bearer abc' }), 'abc');
  const protocol = bearerProtocol('tök/en+=');
  assert.match(protocol, /^base64url\.bearer\.authorization\.k8s\.io\.[A-Za-z0-9_-]+$/);
  const ws = { upgrade: 'websocket', 'sec-websocket-protocol': `${protocol}, plain.kubevirt.io` };
  assert.equal(bearerToken(ws), 'tök/en+=');
  assert.equal(bearerToken({ 'sec-websocket-protocol': protocol }), undefined, 'not without an upgrade');
  assert.equal(bearerToken({ upgrade: 'websocket', 'sec-websocket-protocol': 'plain.kubevirt.io' }), undefined);
  assert.equal(bearerToken({ upgrade: 'websocket', 'sec-websocket-protocol': 'base64url.bearer.authorization.k8s.io.a=b' }), undefined);
});

test('lastLines keeps the last N lines and the trailing newline', () => {
  assert.equal(lastLines('a\nb\nc\n', 2), 'b\nc\n');
  assert.equal(lastLines('a\nb\nc', 2), 'b\nc');
  assert.equal(lastLines('a\nb\n', 5), 'a\nb\n');
  assert.equal(lastLines('a\nb\n', 0), '');
  assert.equal(lastLines('', 3), '');
});
