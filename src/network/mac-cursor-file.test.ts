import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { macCursorFile, MAC_CURSOR_FILE, MAC_RESERVATION_BLOCK } from './mac-cursor-file.ts';
import { allocateMac, DEFAULT_MAC_RANGE, macRange, macToNumber, parseMacRange } from './mac-pool.ts';

const range = parseMacRange(DEFAULT_MAC_RANGE);

function dir(t: import('node:test').TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'pxevirt-mac-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const fileCursor = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { cursor: string }).cursor;

test('the cursor survives a clean close and reopen exactly, and leaves no temp file behind', (t) => {
  const d = dir(t);
  const path = join(d, MAC_CURSOR_FILE);
  const first = macCursorFile(path, { range });
  assert.equal(first.load(), undefined);
  first.save('02:00:00:00:00:2a');
  assert.equal(first.load(), '02:00:00:00:00:2a');
  first.close();
  assert.equal(macCursorFile(path, { range }).load(), '02:00:00:00:00:2a');
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { cursor: '02:00:00:00:00:2a' });
  assert.deepEqual(readdirSync(d), [MAC_CURSOR_FILE]);
});

test('one file write per block of MACs, each written before the first MAC it covers is handed out', (t) => {
  const path = join(dir(t), MAC_CURSOR_FILE);
  const writes: string[] = [];
  const cursor = macCursorFile(path, { range, onWrite: (c) => writes.push(c) });
  const inUse = new Set<string>();
  for (let i = 0; i < 3 * MAC_RESERVATION_BLOCK; i++) {
    const r = allocateMac({ range, inUse, cursor: cursor.load(), random: () => 0.25 });
    inUse.add(r.mac);
    cursor.save(r.cursor);
    // What a kill -9 right now would leave: a reservation at or after every MAC handed out.
    assert.ok(macToNumber(fileCursor(path))! >= macToNumber(r.mac)!, `the file covers ${r.mac}`);
  }
  assert.equal(writes.length, 3);
});

test('after a kill (no close) the pool continues after the reservation: no MAC handed out before comes again', (t) => {
  const path = join(dir(t), MAC_CURSOR_FILE);
  const before = macCursorFile(path, { range, block: 8 });
  const inUse = new Set<string>();
  const handedOut: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = allocateMac({ range, inUse, cursor: before.load(), random: () => 0.5 });
    handedOut.push(r.mac);
    before.save(r.cursor);
  }
  // The process dies here; the objects holding the MACs were deleted meanwhile (inUse is empty).
  const after = macCursorFile(path, { range, block: 8 });
  const next = allocateMac({ range, inUse: new Set(), cursor: after.load() });
  assert.ok(!handedOut.includes(next.mac));
  assert.ok(macToNumber(next.mac)! > macToNumber(handedOut.at(-1)!)!);
});

test('a small range reserves at most a quarter of itself, and wraps', (t) => {
  const path = join(dir(t), MAC_CURSOR_FILE);
  const small = macRange('0a:00:00:00:00:00', '0a:00:00:00:00:0f');
  const writes: string[] = [];
  const cursor = macCursorFile(path, { range: small, onWrite: (c) => writes.push(c) });
  cursor.save('0a:00:00:00:00:0e');
  assert.deepEqual(writes, ['0a:00:00:00:00:02'], 'four MACs on, wrapped past the end');
  cursor.save('0a:00:00:00:00:0f');
  cursor.save('0a:00:00:00:00:02');
  assert.equal(writes.length, 1, 'inside the reservation');
  cursor.save('0a:00:00:00:00:03');
  assert.equal(writes.length, 2);
});

test('a damaged cursor file counts as no cursor', (t) => {
  const path = join(dir(t), MAC_CURSOR_FILE);
  for (const text of ['{', '{"cursor": 5}', '{"cursor": "not-a-mac"}']) {
    writeFileSync(path, text);
    assert.equal(macCursorFile(path, { range }).load(), undefined, text);
  }
});
