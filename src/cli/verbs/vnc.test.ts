import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoVncViewerError, viewerCommand, whichOnPath } from './vnc.ts';

test('prefers remote-viewer, then TigerVNC\'s vncviewer with HOST::PORT', () => {
  const both = (p: string) => `/usr/bin/${p}`;
  assert.deepEqual(viewerCommand(5901, both), { file: '/usr/bin/remote-viewer', args: ['vnc://127.0.0.1:5901'] });
  const onlyVnc = (p: string) => (p === 'vncviewer' ? '/usr/bin/vncviewer' : undefined);
  assert.deepEqual(viewerCommand(40000, onlyVnc), { file: '/usr/bin/vncviewer', args: ['127.0.0.1::40000'] });
  assert.equal(viewerCommand(1, () => undefined), undefined);
});

test('without a viewer the error names the Debian packages to install', () => {
  const err = new NoVncViewerError(0);
  assert.match(err.message, /virt-viewer/);
  assert.match(err.message, /tigervnc-viewer/);
  assert.match(err.message, /--proxy-only/);
});

test('whichOnPath finds executables only', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-which-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'viewer'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(dir, 'plain'), 'x', { mode: 0o644 });
  assert.equal(whichOnPath('viewer', `/nonexistent:${dir}`), join(dir, 'viewer'));
  assert.equal(whichOnPath('plain', dir), undefined, 'not executable');
  assert.equal(whichOnPath('absent', dir), undefined);
});
