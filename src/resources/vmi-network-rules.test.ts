import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cause } from './causes.ts';
import { validateVmi } from './vmi-validate.ts';
import { macAddressError } from './vmi-network-rules.ts';
import { setPath, validVmi } from '../../test/helpers/kubevirt-fixtures.ts';
import { assertCause } from '../../test/helpers/causes.ts';

type Obj = Record<string, unknown>;
const causesOf = (edit: (vmi: Obj) => void): Cause[] => {
  const vmi = validVmi();
  edit(vmi);
  return validateVmi(vmi, { operation: 'CREATE' });
};

test('the valid fixture passes', () => {
  assert.deepEqual(validateVmi(validVmi(), { operation: 'CREATE' }), []);
});

test('malformed MAC address', () => {
  const causes = causesOf((v) => setPath(v, 'spec.domain.devices.interfaces[1].macAddress', 'de:00:00:00:00'));
  assertCause(causes, 'spec.domain.devices.interfaces[1].macAddress', 'interface spec.domain.devices.interfaces[1].name has malformed MAC address (de:00:00:00:00).');
});

test('MAC forms Go accepts, and too-long MACs', () => {
  assert.equal(macAddressError('DE-00-00-00-00-DE'), undefined);
  assert.equal(macAddressError('de00.0000.00de'), undefined);
  assert.equal(macAddressError('de:00:00:00:00:de:00:01'), 'too long MAC address (de:00:00:00:00:de:00:01)');
  assert.equal(macAddressError('de:00-00:00:00:de'), 'malformed MAC address (de:00-00:00:00:de)');
});

test('a network without an interface', () => {
  const causes = causesOf((v) => setPath(v, 'spec.networks[2]', { name: 'extra', pod: {} }));
  assertCause(causes, 'spec.networks[2].name', "spec.networks[2].name 'extra' not found.");
});

test('an interface without a network', () => {
  const causes = causesOf((v) => setPath(v, 'spec.domain.devices.interfaces[2]', { name: 'lonely', bridge: {} }));
  assertCause(causes, 'spec.domain.devices.interfaces[2].name', "spec.domain.devices.interfaces[2].name 'lonely' not found.");
});

test('duplicate network names', () => {
  const causes = causesOf((v) => {
    setPath(v, 'spec.networks[1].name', 'default');
    setPath(v, 'spec.domain.devices.interfaces[1].name', 'default');
  });
  assertCause(causes, 'spec.networks[1].name', 'Network with name "default" already exists, every network must have a unique name');
  assertCause(causes, 'spec.domain.devices.interfaces[1].name', 'Only one interface can be connected to one specific network');
});

test('an interface with no binding, and one with two', () => {
  const none = causesOf((v) => setPath(v, 'spec.domain.devices.interfaces[1].bridge', undefined));
  assertCause(none, 'spec.domain.devices.interfaces[1]', 'logical pxe interface must have exactly one binding method or binding plugin');
  const two = causesOf((v) => setPath(v, 'spec.domain.devices.interfaces[1].sriov', {}));
  assertCause(two, 'spec.domain.devices.interfaces[1]', 'logical pxe interface must have exactly one binding method or binding plugin');
});

test('masquerade on a multus network', () => {
  const causes = causesOf((v) => setPath(v, 'spec.domain.devices.interfaces[1]', { name: 'pxe', masquerade: {} }));
  assertCause(causes, 'spec.domain.devices.interfaces[1].name', 'Masquerade interface only implemented with pod network');
});

test('masquerade with the in-pod bridge MAC', () => {
  const causes = causesOf((v) => setPath(v, 'spec.domain.devices.interfaces[0].macAddress', '02:00:00:00:00:00'));
  assertCause(causes, 'spec.domain.devices.interfaces[0].macAddress', 'The requested MAC address is reserved for the in-pod bridge. Please choose another one.');
});

test('two pod networks', () => {
  const causes = causesOf((v) => setPath(v, 'spec.networks[1]', { name: 'pxe', pod: {} }));
  assertCause(causes, 'spec.interfaces', 'more than one interface is connected to a pod network in spec.interfaces');
});

test('a network with no source, and one with two', () => {
  assertCause(causesOf((v) => setPath(v, 'spec.networks[1].multus', undefined)), 'spec.networks[1]', 'should have a network type');
  assertCause(causesOf((v) => setPath(v, 'spec.networks[1].pod', {})), 'spec.networks[1]', 'should have only one network type');
});

test('multus without networkName', () => {
  const causes = causesOf((v) => setPath(v, 'spec.networks[1].multus', { networkName: '' }));
  assertCause(causes, 'spec.networks[1]', 'CNI delegating plugin must have a networkName');
});

test('an unsupported NIC model', () => {
  const causes = causesOf((v) => setPath(v, 'spec.domain.devices.interfaces[1].model', 'vmxnet3'));
  assertCause(causes, 'spec.domain.devices.interfaces[1].model', 'interface spec.domain.devices.interfaces[1].name uses model vmxnet3 that is not supported.');
  assert.deepEqual(causesOf((v) => setPath(v, 'spec.domain.devices.interfaces[1].model', 'e1000e')), []);
});

test('an interface name with forbidden characters', () => {
  const causes = causesOf((v) => {
    setPath(v, 'spec.domain.devices.interfaces[1].name', 'pxe.net');
    setPath(v, 'spec.networks[1].name', 'pxe.net');
  });
  assertCause(causes, 'spec.domain.devices.interfaces[1].name', 'Network interface name can only contain alphabetical characters, numbers, dashes (-) or underscores (_)');
});

test('a malformed PCI address', () => {
  const causes = causesOf((v) => setPath(v, 'spec.domain.devices.interfaces[1].pciAddress', '0000:81:11'));
  assertCause(causes, 'spec.domain.devices.interfaces[1].pciAddress', 'interface spec.domain.devices.interfaces[1].name has malformed PCI address (0000:81:11).');
});

test('forwarded ports on the pod network: mandatory, in range, TCP or UDP, unique names', () => {
  const causes = causesOf((v) =>
    setPath(v, 'spec.domain.devices.interfaces[0].ports', [{ name: 'ssh', port: 22 }, { name: 'ssh', port: 70000 }, { port: 0 }, { port: 80, protocol: 'SCTP' }]),
  );
  const at = 'spec.domain.devices.interfaces[0].ports';
  assertCause(causes, `${at}[1].name`, 'Duplicate name of the port: ssh');
  assertCause(causes, `${at}[1].port`, 'Port field must be in range 0 < x < 65536.');
  assertCause(causes, `${at}[2].port`, 'Port field is mandatory.');
  assertCause(causes, `${at}[3].protocol`, 'Unknown protocol, only TCP or UDP allowed');
});
