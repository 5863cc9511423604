import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asList, objectName, toJson, toYaml } from './serialize.ts';

const vmi = { status: { phase: 'Running' }, kind: 'VirtualMachineInstance', apiVersion: 'kubevirt.io/v1', metadata: { name: 'v', creationTimestamp: '2024-01-02T03:04:05Z', labels: { y: 'true' } }, spec: { list: [{ b: 1, a: 'x' }] } };

test('yaml sorts keys, quotes timestamps and YAML 1.1 booleans like go-yaml, keeps lists unindented', () => {
  assert.equal(
    toYaml(vmi),
    [
      'apiVersion: kubevirt.io/v1',
      'kind: VirtualMachineInstance',
      'metadata:',
      '  creationTimestamp: "2024-01-02T03:04:05Z"',
      '  labels:',
      '    "y": "true"',
      '  name: v',
      'spec:',
      '  list:',
      '  - a: x',
      '    b: 1',
      'status:',
      '  phase: Running',
      '',
    ].join('\n'),
  );
});

test('several objects print as a kubectl List', () => {
  const text = toYaml(asList([vmi]));
  assert.match(text, /^apiVersion: v1\nitems:\n- apiVersion: kubevirt.io\/v1/);
  assert.match(text, /kind: List\nmetadata:\n  resourceVersion: ""\n$/);
});

test('json is indented by four with sorted keys and Go HTML escaping', () => {
  assert.equal(toJson({ b: '<x>', a: 1 }), '{\n    "a": 1,\n    "b": "\\u003cx\\u003e"\n}\n');
});

test('-o name is kind.group/name, or kind/name for the core group', () => {
  assert.equal(objectName(vmi), 'virtualmachineinstance.kubevirt.io/v');
  assert.equal(objectName({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }), 'namespace/default');
});
