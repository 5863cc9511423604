import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.ts';
import { decodeProtobuf } from './protobuf.ts';

const ld = (no: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([(no << 3) | 2, value.length]), value]);
const s = (no: number, text: string) => ld(no, Buffer.from(text));

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), ld(1, Buffer.concat([s(1, apiVersion), s(2, kind)])), ld(2, raw)]);
}

test('decodes the protobuf Namespace kubectl create namespace sends', () => {
  const meta = Buffer.concat([s(1, 'lab'), ld(11, Buffer.concat([s(1, 'team'), s(2, 'net')]))]);
  const ns = decodeProtobuf(envelope('v1', 'Namespace', ld(1, meta)));
  assert.deepEqual(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lab', labels: { team: 'net' } } });
});

test('refuses other protobuf kinds with a 415 that asks for JSON', () => {
  assert.throws(() => decodeProtobuf(envelope('v1', 'Pod', ld(1, s(1, 'p')))), (err: unknown) => err instanceof ApiError && err.code === 415 && /only v1 Namespace/.test(err.message));
  assert.throws(() => decodeProtobuf(Buffer.from('{}')), (err: unknown) => err instanceof ApiError && err.code === 415);
});
