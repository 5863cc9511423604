// appearing(): the QMP socket is connected the moment QEMU makes it, not at the next poll.
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appearing } from './qemu-process.ts';

test('appearing: a wait ends when the file is made, long before its timeout', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-appearing-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const made = appearing(join(dir, 'qmp.sock'));
  t.after(() => made.close());
  // A wait of an hour: only the file's creation can end it within the test's timeout.
  const waited = made.wait(3_600_000);
  writeFileSync(join(dir, 'serial.log'), ''); // another name: not this wait's
  writeFileSync(join(dir, 'qmp.sock'), '');
  await waited;
});

test('appearing: a wait ends at its timeout when nothing is made, and after close', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-appearing-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const made = appearing(join(dir, 'qmp.sock'));
  await made.wait(1);
  made.close();
  await made.wait(1);
});

test('appearing: a directory that does not exist falls back to the timeout', { timeout: 20_000 }, async () => {
  const made = appearing('/nonexistent-pxevirt-dir/qmp.sock');
  await made.wait(1);
  made.close();
});
