import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pendingReprovisions, reprovisionAnnotationKey, reprovisionRequests } from './pxe-reprovision.ts';

test('the annotation key carries the MAC with dashes', () => {
  assert.equal(reprovisionAnnotationKey('DE:00:00:00:00:01'), 'reprovision.pxe.pxevirt.io/de-00-00-00-00-01');
  assert.throws(() => reprovisionAnnotationKey('nope'), /expected a MAC address/);
});

test('reads well-formed requests and ignores the rest', () => {
  assert.deepEqual(
    reprovisionRequests({
      'reprovision.pxe.pxevirt.io/de-00-00-00-00-01': '2026-12-05T13:00:00Z',
      'reprovision.pxe.pxevirt.io/not-a-mac': '2026-12-05T13:00:00Z',
      'reprovision.pxe.pxevirt.io/de-00-00-00-00-02': 'yesterday',
      other: 'x',
    }),
    [{ mac: 'de:00:00:00:00:01', before: '2026-12-05T13:00:00Z' }],
  );
  assert.deepEqual(reprovisionRequests(undefined), []);
});

test('a request applies only to a host provisioned before it', () => {
  const req = [{ mac: 'de:00:00:00:00:01', before: '2026-12-05T13:00:00Z' }];
  assert.equal(pendingReprovisions(req, [{ mac: 'de:00:00:00:00:01', state: 'Provisioned', provisionedAt: '2026-12-05T12:59:00Z' }]).length, 1);
  assert.equal(pendingReprovisions(req, [{ mac: 'de:00:00:00:00:01', state: 'Provisioned', provisionedAt: '2026-12-05T13:01:00Z' }]).length, 0);
  assert.equal(pendingReprovisions(req, [{ mac: 'de:00:00:00:00:01', state: 'Installing' }]).length, 0);
  assert.equal(pendingReprovisions(req, undefined).length, 0);
});
