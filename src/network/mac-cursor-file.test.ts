import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { macCursorFile, MAC_CURSOR_FILE } from './mac-cursor-file.ts';

function dir(t: import('node:test').TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'pxevirt-mac-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('the cursor survives a reopen and leaves no temp file behind', (t) => {
  const d = dir(t);
  const path = join(d, MAC_CURSOR_FILE);
  const first = macCursorFile(path);
  assert.equal(first.load(), undefined);
  first.save('02:00:00:00:00:2a');
  assert.equal(first.load(), '02:00:00:00:00:2a');
  assert.equal(macCursorFile(path).load(), '02:00:00:00:00:2a');
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { cursor: '02:00:00:00:00:2a' });
  assert.deepEqual(readdirSync(d), [MAC_CURSOR_FILE]);
});

test('a damaged cursor file counts as no cursor', (t) => {
  const path = join(dir(t), MAC_CURSOR_FILE);
  for (const text of ['{', '{"cursor": 5}', '{"cursor": "not-a-mac"}']) {
    writeFileSync(path, text);
    assert.equal(macCursorFile(path).load(), undefined, text);
  }
});
