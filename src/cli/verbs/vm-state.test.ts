import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vmNameFrom } from './vm-state.ts';

test('takes the VM name as NAME, vm NAME or vm/NAME', () => {
  assert.equal(vmNameFrom(['web']), 'web');
  assert.equal(vmNameFrom(['vm', 'web']), 'web');
  assert.equal(vmNameFrom(['vm/web']), 'web');
  assert.equal(vmNameFrom(['virtualmachine', 'web']), 'web');
});

test('refuses anything but one name, saying what it found', () => {
  assert.throws(() => vmNameFrom([]), /expected one VM name \(NAME or vm NAME\), found ""/);
  assert.throws(() => vmNameFrom(['a', 'b']), /found "a b"/);
});
