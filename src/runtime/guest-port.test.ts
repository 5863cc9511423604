// The pure parts of reaching a guest's port: which netdev is slirp's, the forward rule, the
// connector's argv, and adding each forward once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostForwardError, createForwardCache, guestPortArgv, loopbackForwardRule, userNetdevId } from './guest-port.ts';

const INFO = 'virtio-net-pci.0: index=0,type=nic,model=virtio-net-pci,macaddr=02:00:00:00:00:01\r\n \\ netdev0: index=0,type=user,net=10.0.2.0,restrict=off\r\nnet1: index=0,type=nic\r\n \\ netdev1: index=0,type=tap,ifname=tap-net1\r\n';

test('the masquerade netdev is the one of type user in `info network`', () => {
  assert.equal(userNetdevId(INFO), 'netdev0');
  assert.equal(userNetdevId('net0: index=0,type=nic\r\n \\ netdev0: index=0,type=tap,ifname=t\r\n'), undefined);
});

test('masquerade connects to the loopback forward in the pod; bridge to the guest address from the node network', () => {
  assert.equal(loopbackForwardRule('udp', 53), 'udp:127.0.0.1:53-:53');
  assert.deepEqual(guestPortArgv({ binding: 'masquerade', podNetns: 'pxv-1' }, 'tcp', 22), ['ip', 'netns', 'exec', 'pxv-1', 'socat', 'STDIO', 'TCP:127.0.0.1:22']);
  assert.deepEqual(guestPortArgv({ binding: 'bridge', guestAddress: '10.1.0.5', nodeNetns: 'node' }, 'udp', 53), ['ip', 'netns', 'exec', 'node', 'socat', 'STDIO', 'UDP:10.1.0.5:53']);
  assert.deepEqual(guestPortArgv({ binding: 'bridge', guestAddress: 'fd00::5' }, 'tcp', 22), ['socat', 'STDIO', 'TCP:[fd00::5]:22']);
});

test('a forward is added once per guest, port and protocol; a refusal is an error and is retried next time', async () => {
  const calls: string[] = [];
  let answer = '';
  const hmp = async (line: string) => (calls.push(line), line === 'info network' ? INFO : answer);
  const cache = createForwardCache();
  await cache.ensure('u1', hmp, 'tcp', 22);
  await cache.ensure('u1', hmp, 'tcp', 22);
  assert.deepEqual(calls, ['info network', 'hostfwd_add netdev0 tcp:127.0.0.1:22-:22']);
  // A rule already there (a restarted daemon) is taken as added.
  answer = "Could not set up host forwarding rule 'udp:127.0.0.1:22-:22'\r\n";
  await cache.ensure('u1', hmp, 'udp', 22);
  answer = 'Invalid host forwarding rule';
  await assert.rejects(cache.ensure('u2', hmp, 'tcp', 80), (e: unknown) => e instanceof HostForwardError && /refused the forward tcp:127.0.0.1:80-:80: Invalid/.test(e.message));
  answer = '';
  await cache.ensure('u2', hmp, 'tcp', 80);
  cache.forget('u1');
  calls.length = 0;
  await cache.ensure('u1', hmp, 'tcp', 22);
  assert.equal(calls.length, 2, 'a forgotten guest (a new QEMU) gets its forward again');
  await assert.rejects(createForwardCache().ensure('u3', async () => 'net0: index=0,type=nic\r\n', 'tcp', 22), /no masquerade \(user\) network/);
});
