import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capacityBytes, InvalidCapacityError } from './empty-disk.ts';

test('capacity follows Kubernetes quantity rules, rounded up to a sector', () => {
  assert.equal(capacityBytes('v', '1Gi'), 2 ** 30);
  assert.equal(capacityBytes('v', '1G'), 1e9);
  assert.equal(capacityBytes('v', '1000'), 1024);
  assert.equal(capacityBytes('v', 512), 512);
});

test('a capacity that is not a positive quantity is refused naming the volume', () => {
  assert.throws(() => capacityBytes('scratch', '0'), InvalidCapacityError);
  assert.throws(() => capacityBytes('scratch', 'lots'), /volume scratch: emptyDisk.capacity: expected a positive quantity such as 1Gi, found "lots"/);
});
