import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeBindingCommands, bridgeNames, randomMac } from './bindings.ts';

test('random MACs are unicast and locally administered', () => {
  for (let i = 0; i < 100; i++) {
    const first = Number.parseInt(randomMac().slice(0, 2), 16);
    assert.equal(first & 0x03, 0x02);
  }
});

test('bridge binding moves the pod interface to a random MAC before enslaving it with the tap', () => {
  const cmds = bridgeBindingCommands('pxv-1', 'net1', '02:aa:bb:cc:dd:ee').map((c) => c.join(' '));
  assert.equal(cmds.indexOf('-n pxv-1 link set dev net1 address 02:aa:bb:cc:dd:ee') < cmds.indexOf('-n pxv-1 link set dev net1 master k6t-net1'), true);
  assert.ok(cmds.includes('-n pxv-1 tuntap add dev tap-net1 mode tap'));
  assert.deepEqual(bridgeNames('a-very-long-interface'), { bridge: 'k6t-a-very-long', tap: 'tap-a-very-long' });
});
