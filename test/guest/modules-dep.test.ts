// Module load order follows modules.dep: every module after what it depends on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { moduleName, resolveLoadOrder } from '../../scripts/guest/modules-dep.ts';

const DEP = `kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz kernel/net/core/failover.ko.xz kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz
kernel/drivers/net/net_failover.ko.xz: kernel/net/core/failover.ko.xz
kernel/net/core/failover.ko.xz:
kernel/drivers/virtio/virtio.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz
kernel/drivers/virtio/virtio_ring.ko.xz:
kernel/lib/crc-t10dif.ko.xz: kernel/crypto/crct10dif_common.ko.xz
kernel/crypto/crct10dif_common.ko.xz:
`;

test('loads each wanted module after all of its dependencies, once', () => {
  const { order, missing, builtin } = resolveLoadOrder(DEP, '', ['virtio_net', 'virtio']);
  assert.deepEqual(missing, []);
  assert.deepEqual(builtin, []);
  assert.equal(new Set(order).size, order.length);
  const at = (name: string) => order.findIndex((p) => moduleName(p) === name);
  assert.equal(order.length, 5);
  assert.ok(at('virtio_ring') < at('virtio'));
  assert.ok(at('virtio') < at('virtio_net'));
  assert.ok(at('failover') < at('net_failover'));
  assert.ok(at('net_failover') < at('virtio_net'));
});

test('matches names with dashes or underscores and reports built-in and missing modules', () => {
  const result = resolveLoadOrder(DEP, 'kernel/fs/isofs/isofs.ko\n', ['crc_t10dif', 'isofs', 'e1000']);
  assert.deepEqual(result.order, ['kernel/crypto/crct10dif_common.ko.xz', 'kernel/lib/crc-t10dif.ko.xz']);
  assert.deepEqual(result.builtin, ['isofs']);
  assert.deepEqual(result.missing, ['e1000']);
});
