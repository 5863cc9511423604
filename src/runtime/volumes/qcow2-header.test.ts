import assert from 'node:assert/strict';
import { test } from 'node:test';
import { qcow2Facts, qcow2Refusal } from './qcow2-header.ts';

function header(version: number, { backing = false, incompatible = 0n } = {}): Buffer {
  const b = Buffer.alloc(104);
  b.writeUInt32BE(0x514649fb, 0);
  b.writeUInt32BE(version, 4);
  if (backing) {
    b.writeBigUInt64BE(104n, 8);
    b.writeUInt32BE(9, 16);
  }
  b.writeBigUInt64BE(incompatible, 72);
  return b;
}

test('reads the external data file bit and a backing file from a qcow2 header', () => {
  assert.deepEqual(qcow2Facts(header(3, { incompatible: 4n })), { version: 3, hasBackingFile: false, hasExternalDataFile: true });
  assert.deepEqual(qcow2Facts(header(3, { backing: true })), { version: 3, hasBackingFile: true, hasExternalDataFile: false });
  assert.deepEqual(qcow2Facts(header(2, { incompatible: 4n })), { version: 2, hasBackingFile: false, hasExternalDataFile: false }, 'v2 has no feature bits');
  assert.equal(qcow2Facts(Buffer.alloc(512)), undefined, 'not a qcow2 (a raw image)');
});

test('refuses a data file, a backing file and a truncated v3 header; accepts a plain qcow2', () => {
  assert.match(qcow2Refusal(header(3, { incompatible: 4n | 1n }))!, /external data file/);
  assert.match(qcow2Refusal(header(3, { backing: true }))!, /backing file/);
  assert.match(qcow2Refusal(header(3).subarray(0, 40))!, /external data file/);
  assert.equal(qcow2Refusal(header(3)), undefined);
  assert.equal(qcow2Refusal(Buffer.from('raw bytes')), undefined);
});
