import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportError, ExitCode } from './errors.ts';
import { ApiStatusError, ConnectionError, ManyErrors, UnknownResourceError, WaitTimeoutError } from './client/cli-errors.ts';

const report = (err: unknown) => {
  let text = '';
  const code = reportError(err, (t) => (text += t));
  return { code, text };
};

test('an API Status prints as kubectl does: Error from server (Reason): message, exit 1', () => {
  const err = new ApiStatusError({ kind: 'Status', reason: 'NotFound', message: 'virtualmachineinstances.kubevirt.io "x" not found', code: 404 }, 404);
  assert.deepEqual(report(err), { code: ExitCode.failure, text: 'Error from server (NotFound): virtualmachineinstances.kubevirt.io "x" not found\n' });
  assert.equal(report(err.withSource('creating', 'vmi.yaml')).text, 'Error from server (NotFound): error when creating "vmi.yaml": virtualmachineinstances.kubevirt.io "x" not found\n');
});

test('an Invalid Status lists its causes under "The Kind "name" is invalid"', () => {
  const one = new ApiStatusError({ reason: 'Invalid', message: 'm', details: { kind: 'VirtualMachineInstance', name: 'v', causes: [{ field: 'spec.x', message: 'bad' }] } }, 422);
  assert.equal(report(one).text, 'The VirtualMachineInstance "v" is invalid: spec.x: bad\n');
  const two = new ApiStatusError({ reason: 'Invalid', message: 'm', details: { kind: 'VirtualMachineInstance', name: 'v', causes: [{ field: 'a', message: '1' }, { field: 'b', message: '2' }] } }, 422);
  assert.equal(report(two).text, 'The VirtualMachineInstance "v" is invalid: \n* a: 1\n* b: 2\n');
});

test('Unauthorized asks the user to log in', () => {
  assert.equal(report(new ApiStatusError({ reason: 'Unauthorized', message: 'Unauthorized' }, 401)).text, 'error: You must be logged in to the server (Unauthorized)\n');
});

test('client-side problems print error: …, several errors print each', () => {
  assert.equal(report(new UnknownResourceError('pods')).text, 'error: the server doesn\'t have a resource type "pods"\n');
  assert.equal(report(new WaitTimeoutError('virtualmachineinstances/v')).text, 'error: timed out waiting for the condition on virtualmachineinstances/v\n');
  assert.equal(report(new ConnectionError('https://127.0.0.1:1', 'ECONNREFUSED', new Error('x'))).text, 'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n');
  const many = report(new ManyErrors([new UnknownResourceError('a'), new UnknownResourceError('b')]));
  assert.equal(many.code, 1);
  assert.equal(many.text.split('\n').length, 3);
});
