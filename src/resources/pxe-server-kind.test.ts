import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPxeServer, pxeServerKind, validateNetworkRef } from './pxe-server-kind.ts';
import { assertCause } from '../../test/helpers/causes.ts';

const create = { operation: 'CREATE' } as const;
const server = (spec: Record<string, unknown>) => ({ apiVersion: 'pxe.pxevirt.io/v1alpha1', kind: 'PXEServer', metadata: { name: 'pxe1', namespace: 'default' }, spec });
const config = {
  interface: 'eth0',
  address: '192.168.100.1/24',
  dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.199' },
  root: '/srv/pxe',
  images: [{ name: 'tiny', kernel: 'tiny/vmlinuz', initrd: [], cmdline: '' }],
  defaultImage: 'tiny',
};

test('a PXE config plus a network passes and gets the config defaults', () => {
  const out = defaultPxeServer(server({ network: 'pxe-net-conf', ...config })) as { spec: Record<string, any> };
  assert.deepEqual(pxeServerKind.validate(out, create), []);
  assert.equal(out.spec.network, 'pxe-net-conf');
  assert.equal(out.spec.tftp.port, 69);
  assert.equal(out.spec.dhcp.leaseSeconds, 3600);
});

test('network is required and must be name or namespace/name', () => {
  assertCause(pxeServerKind.validate(server(config), create), 'spec.network', /^Required value: expected a NetworkAttachmentDefinition name/);
  assert.deepEqual(validateNetworkRef('default/pxe-net-conf', 'spec.network'), []);
  assertCause(validateNetworkRef('a/b/c', 'spec.network'), 'spec.network', 'expected a NetworkAttachmentDefinition name like pxe-net-conf or default/pxe-net-conf, found "a/b/c"');
});

test('config errors come from the PXE config validator with spec paths', () => {
  const causes = pxeServerKind.validate(server({ network: 'n', ...config, address: '192.168.100.1' }), create);
  assertCause(causes, 'spec.address', /^expected an IPv4 address with a prefix/);
});

test('an invalid spec is left as it is by defaulting', () => {
  const bad = server({ network: 'n', interface: 'eth0' });
  assert.deepEqual(defaultPxeServer(bad), bad);
});

test('interface defaults to net1 and a relative root is kept as written', () => {
  const { interface: _i, root: _r, ...rest } = config;
  const out = defaultPxeServer(server({ network: 'n', ...rest, root: 'images/tiny' })) as { spec: Record<string, any> };
  assert.deepEqual(pxeServerKind.validate(out, create), []);
  assert.equal(out.spec.interface, 'net1');
  assert.equal(out.spec.root, 'images/tiny');
  assertCause(pxeServerKind.validate(server({ network: 'n', ...rest, root: '../etc' }), create), 'spec.root', /relative to <data-dir>\/pxe without "\.\."/);
});

test('hosts may select by vmSelector, vmName and option 82; spec.vms is the controller\'s and refused', () => {
  const hosts = [
    { selector: { vmSelector: { matchLabels: { role: 'installer' } } }, image: 'tiny' },
    { selector: { vmName: 'default/installer', circuitId: 'rack1/port7', remoteId: '0x0a0b' }, image: 'tiny' },
  ];
  const ok = defaultPxeServer(server({ network: 'pxe-net-conf', ...config, hosts }));
  assert.deepEqual(pxeServerKind.validate(ok, create), []);
  const bad = server({ network: 'pxe-net-conf', ...config, hosts: [{ selector: { vmSelector: { matchLabels: { role: 'a b' } }, vmName: 'Bad_Name', circuitId: '' }, image: 'tiny' }], vms: [] });
  const causes = pxeServerKind.validate(bad, create);
  assertCause(causes, 'spec.hosts[0].selector.vmSelector.matchLabels.role', /expected a label value/);
  assertCause(causes, 'spec.hosts[0].selector.vmName', /expected a VM name like installer or default\/installer, found "Bad_Name"/);
  assertCause(causes, 'spec.hosts[0].selector.circuitId', /expected 1 to 255 characters/);
  assertCause(causes, 'spec.vms', /expected nothing: the controller fills in the VMs/);
});

test('secureBoot is for kernel images only', () => {
  const causes = pxeServerKind.validate(server({ network: 'pxe-net-conf', ...config, images: [{ name: 'tiny', ipxeScript: '#!ipxe\nshell', secureBoot: true }] }), create);
  assertCause(causes, 'spec.images[0].secureBoot', /expected an image with kernel .*found one with ipxeScript/);
});
