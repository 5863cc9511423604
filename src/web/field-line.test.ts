import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { fieldPlace, fieldSegments, lineOf } from './client/field-line.ts';

const SOURCE = `apiVersion: v1
kind: Namespace
metadata:
  name: a
---
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: vmi
  labels:
    kubevirt.io/size: small
spec:
  domain:
    devices:
      interfaces:
      - name: default
        masquerade: {}
      - name: pxe
        macAddress: not-a-mac
`;

const docs = parseAllDocuments(SOURCE);
const line = (doc: number, field: string) => {
  const place = fieldPlace(docs[doc]!, field);
  return place && { line: lineOf(SOURCE, place.offset) + 1, exact: place.exact };
};

test('splits a cause field into keys and indexes', () => {
  assert.deepEqual(fieldSegments('spec.domain.devices.interfaces[1].macAddress'), ['spec', 'domain', 'devices', 'interfaces', 1, 'macAddress']);
  assert.deepEqual(fieldSegments('metadata.labels[kubevirt.io/size]'), ['metadata', 'labels', 'kubevirt.io/size']);
});

test('finds the line of a field in the second document of a stream', () => {
  assert.deepEqual(line(1, 'spec.domain.devices.interfaces[1].macAddress'), { line: 19, exact: true });
  assert.deepEqual(line(1, 'metadata.labels[kubevirt.io/size]'), { line: 11, exact: true });
  assert.deepEqual(line(0, 'metadata.name'), { line: 4, exact: true });
});

test('points a missing field at its closest ancestor', () => {
  assert.deepEqual(line(1, 'spec.domain.resources.requests.memory'), { line: 13, exact: false });
  assert.deepEqual(line(1, 'spec.domain.devices.interfaces[5].name'), { line: 15, exact: false });
});
