import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findUnknownFields } from './unknown-fields.ts';
import { vmiSchema } from './vmi-schema.ts';
import { vmSchema } from './vm-schema.ts';
import { nncpKind } from './nncp-kind.ts';
import { readSeed, setPath, validVm, validVmi } from '../../test/helpers/kubevirt-fixtures.ts';

test('a valid VMI and the seed VMI have no unknown fields', () => {
  assert.deepEqual(findUnknownFields(vmiSchema, validVmi()), []);
  assert.deepEqual(findUnknownFields(vmiSchema, readSeed('vmi-pxe-boot.yaml')), []);
});

test('reports unknown fields by path, at the top, in spec and inside list items', () => {
  const vmi = validVmi();
  setPath(vmi, 'spec.foo', 1);
  setPath(vmi, 'spec.domain.devices.interfaces[0].bogus', true);
  setPath(vmi, 'extra', 'x');
  assert.deepEqual(findUnknownFields(vmiSchema, vmi).sort(), ['extra', 'spec.domain.devices.interfaces[0].bogus', 'spec.foo']);
});

test('a field inside an empty marker object such as bridge: {} is unknown', () => {
  const vmi = setPath(validVmi(), 'spec.domain.devices.interfaces[1].bridge', { vlan: 3 });
  assert.deepEqual(findUnknownFields(vmiSchema, vmi), ['spec.domain.devices.interfaces[1].bridge.vlan']);
});

test('preserve-unknown-fields subtrees accept anything', () => {
  const vmi = setPath(validVmi(), 'spec.affinity', { nodeAffinity: { whatever: [1, 2] } });
  setPath(vmi, 'spec.readinessProbe', { tcpSocket: { port: 22 } });
  assert.deepEqual(findUnknownFields(vmiSchema, vmi), []);
});

test('map values (labels, resource requests) are not unknown fields', () => {
  const vmi = setPath(validVmi(), 'metadata.labels', { a: 'b', 'x.io/y': 'z' });
  setPath(vmi, 'spec.domain.resources.requests.cpu', '2');
  assert.deepEqual(findUnknownFields(vmiSchema, vmi), []);
});

test('the VM template spec is checked with the VMI schema', () => {
  const vm = setPath(validVm(), 'spec.template.spec.domain.cpus', 2);
  assert.deepEqual(findUnknownFields(vmSchema, vm), ['spec.template.spec.domain.cpus']);
});

test('nmstate keys with dashes are known; others are reported', () => {
  const policy = {
    metadata: { name: 'br1' },
    spec: { desiredState: { interfaces: [{ name: 'br1', type: 'linux-bridge', bridge: { options: { stp: { enabled: false } }, port: [{ name: 'eth1' }] }, 'link-aggregation': {} }] } },
  };
  assert.deepEqual(findUnknownFields(nncpKind.schema, policy), ['spec.desiredState.interfaces[0].link-aggregation']);
});

test('keys named like Object.prototype members (constructor, toString, __proto__) are unknown fields, not declared ones', () => {
  // As a client's JSON arrives: JSON.parse makes __proto__ an own member.
  const vmi = JSON.parse(`{"constructor":{"x":1},"__proto__":{"y":2},${JSON.stringify(validVmi()).slice(1)}`) as Record<string, unknown>;
  const spec = vmi.spec as Record<string, unknown>;
  spec['toString'] = 3;
  spec['hasOwnProperty'] = 'z';
  assert.deepEqual(findUnknownFields(vmiSchema, vmi).sort(), ['__proto__', 'constructor', 'spec.hasOwnProperty', 'spec.toString']);
});
