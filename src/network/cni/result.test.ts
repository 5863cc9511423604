import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachmentResult, networkStatusAnnotation, parseCniError, parseCniResult } from './result.ts';

// As printed by Debian's bridge + host-local (0.3.1: ips carry "version").
const v031 = {
  cniVersion: '0.3.1',
  interfaces: [{ name: 'pxvbr0', mac: '0a:58:0a:f4:00:01' }, { name: 'veth1234', mac: '5e:00:00:00:00:01' }, { name: 'eth0', mac: '5E:00:00:00:00:02', sandbox: '/run/netns/p' }],
  ips: [{ version: '4', interface: 2, address: '10.244.0.5/24', gateway: '10.244.0.1' }],
  routes: [{ dst: '0.0.0.0/0', gw: '10.244.0.1' }],
  dns: {},
};
// bridge with "ipam": {} then tuning, 1.0.0.
const l2 = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'br1', mac: '46:00:00:00:00:01' }, { name: 'veth9', mac: '46:00:00:00:00:01' }, { name: 'net1', mac: 'de:00:00:00:00:de', sandbox: '/run/netns/p' }],
  dns: {},
};

test('a 0.3.1 result gives the sandbox interface its MAC (lower-cased) and addresses', () => {
  const r = attachmentResult({ network: 'default', ifname: 'eth0' }, 'pxevirt-pod-network', true, v031);
  assert.equal(r.mac, '5e:00:00:00:00:02');
  assert.deepEqual(r.ips, ['10.244.0.5/24']);
  assert.equal(r.gateway, '10.244.0.1');
  assert.equal(r.default, true);
});

test('a 1.0.0 result without IPAM gives no addresses and the MAC tuning set', () => {
  const r = attachmentResult({ network: 'pxe-net', ifname: 'net1', networkName: 'pxe-net-conf', mac: 'de:00:00:00:00:de' }, 'default/pxe-net-conf', false, l2);
  assert.equal(r.mac, 'de:00:00:00:00:de');
  assert.deepEqual(r.ips, []);
  assert.equal(r.gateway, undefined);
});

test('addresses of other interfaces are not the pod interface’s', () => {
  const r = attachmentResult({ network: 'n', ifname: 'eth0' }, 'n', false, { ...v031, ips: [{ interface: 0, address: '10.0.0.1/24' }, { interface: 2, address: '10.0.0.2/24' }] });
  assert.deepEqual(r.ips, ['10.0.0.2/24']);
});

test('a 0.2.0 result (ip4) is read too', () => {
  const r = attachmentResult({ network: 'n', ifname: 'eth0', mac: '02:00:00:00:00:01' }, 'ns/n', false, { cniVersion: '0.2.0', ip4: { ip: '192.168.1.5/24', gateway: '192.168.1.1' } });
  assert.deepEqual(r.ips, ['192.168.1.5/24']);
  assert.equal(r.mac, '02:00:00:00:00:01', 'no interfaces in 0.2.0: the requested MAC');
});

test('plugin output: a result object, an error object, or neither', () => {
  assert.equal(parseCniResult('{"cniVersion":"1.0.0"}')?.cniVersion, '1.0.0');
  assert.equal(parseCniResult('not json'), undefined);
  assert.equal(parseCniResult('[]'), undefined);
  assert.deepEqual(parseCniError('{"code":999,"msg":"failed to find plugin \\"nope\\"","details":""}'), { code: 999, msg: 'failed to find plugin "nope"' });
  assert.equal(parseCniError('{"cniVersion":"1.0.0"}'), undefined);
});

test('the network-status annotation lists every attachment as Multus writes it', () => {
  const results = [
    attachmentResult({ network: 'default', ifname: 'eth0' }, 'pxevirt-pod-network', true, v031),
    attachmentResult({ network: 'pxe-net', ifname: 'net1', networkName: 'pxe-net-conf' }, 'default/pxe-net-conf', false, l2),
  ];
  assert.deepEqual(JSON.parse(networkStatusAnnotation(results)), [
    { name: 'pxevirt-pod-network', interface: 'eth0', ips: ['10.244.0.5'], mac: '5e:00:00:00:00:02', default: true, dns: {}, gateway: ['10.244.0.1'] },
    { name: 'default/pxe-net-conf', interface: 'net1', mac: 'de:00:00:00:00:de', dns: {} },
  ]);
});
