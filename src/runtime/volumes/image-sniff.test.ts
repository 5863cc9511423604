import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compressionOf, diskImageFormat } from './image-sniff.ts';

const qcow2Head = (): Buffer => {
  const b = Buffer.alloc(104);
  b.writeUInt32BE(0x514649fb, 0);
  b.writeUInt32BE(3, 4);
  return b;
};

test('gzip and xz are told by their magic', () => {
  assert.equal(compressionOf(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
  assert.equal(compressionOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0])), 'xz');
  assert.equal(compressionOf(Buffer.alloc(512)), 'none');
});

test('qcow2 and raw disks are taken; text, archives, other formats and odd sizes are refused with what was found', () => {
  assert.deepEqual(diskImageFormat(qcow2Head(), 1 << 20), { format: 'qcow2' });
  const mbr = Buffer.alloc(512);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  assert.deepEqual(diskImageFormat(mbr, 1 << 20), { format: 'raw' });
  assert.deepEqual(diskImageFormat(Buffer.from('<html><body>Not Found</body></html>\n'), 36), { refusal: 'expected a qcow2 or raw disk image, found text (starting "<html><body>Not Found</body></html>")' });
  assert.deepEqual(diskImageFormat(Buffer.from('KDMV\x01\x00\x00\x00', 'latin1'), 1 << 20), { refusal: 'expected a qcow2 or raw disk image, found a vmdk image' });
  const tar = Buffer.alloc(512);
  tar.write('ustar', 257, 'latin1');
  assert.deepEqual(diskImageFormat(tar, 10240), { refusal: 'expected a qcow2 or raw disk image, found a tar archive' });
  assert.deepEqual(diskImageFormat(mbr, 1000), { refusal: 'expected a qcow2 image or a raw disk of whole 512-byte sectors, found 1000 bytes' });
  assert.deepEqual(diskImageFormat(Buffer.alloc(0), 0), { refusal: 'expected a qcow2 or raw disk image, found an empty file' });
});
