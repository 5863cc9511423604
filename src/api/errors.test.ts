import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlreadyExistsError, BadQueryError, ConflictError, GoneError, NotFoundError } from '../store/errors.ts';
import { ValidationError } from '../resources/causes.ts';
import { ApiError, Reason, toStatus } from './errors.ts';

const VMI = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };

test('maps each failure to its Status code and reason', () => {
  const cases: Array<[unknown, number, string, RegExp]> = [
    [new NotFoundError(VMI, 'a'), 404, 'NotFound', /^virtualmachineinstances.kubevirt.io "a" not found$/],
    [new AlreadyExistsError(VMI, 'a'), 409, 'AlreadyExists', /already exists/],
    [new ConflictError(VMI, 'a', '1', '2'), 409, 'Conflict', /the object has been modified/],
    [new GoneError('1', '5'), 410, 'Expired', /too old resource version: 1/],
    [new BadQueryError('labelSelector', 'a=(', 'a selector'), 400, 'BadRequest', /unable to parse labelSelector/],
    [new ApiError(413, Reason.RequestEntityTooLarge, 'too big'), 413, 'RequestEntityTooLarge', /too big/],
    [new ValidationError('object', [{ type: 'FieldValueInvalid', field: 'spec.x', message: 'bad' }]), 422, 'Invalid', /^spec\.x: bad$/],
    [new Error('boom'), 500, 'InternalError', /Internal error occurred: boom/],
  ];
  for (const [err, code, reason, message] of cases) {
    const status = toStatus(err);
    assert.equal(status.kind, 'Status');
    assert.equal(status.apiVersion, 'v1');
    assert.equal(status.status, 'Failure');
    assert.equal(status.code, code);
    assert.equal(status.reason, reason);
    assert.match(status.message ?? '', message);
  }
});

test('names the object and group in the details of store errors', () => {
  assert.deepEqual(toStatus(new NotFoundError(VMI, 'a')).details, { name: 'a', group: 'kubevirt.io', kind: 'virtualmachineinstances' });
});
