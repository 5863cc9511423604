import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildConfigDisk, ConfigVolumeDataError } from './config-disk.ts';
import { IsoFileNameError } from './iso.ts';

const xorrisoMissing = (() => {
  try {
    execFileSync('xorriso', ['-version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'xorriso is not installed (package xorriso)';
  }
})();

const cfg = { name: 'cfg', kind: 'ConfigMap' as const, objectName: 'app', label: 'OEMDRV' };

test('a config disk holds one file per key, byte for byte, under the volume label', { skip: xorrisoMissing }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-cfgdisk-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const binary = Buffer.from([0, 1, 2, 0xff, 0xfe]);
  const iso = await buildConfigDisk(cfg, [{ key: 'ks.cfg', data: Buffer.from('text\nkickstart\n') }, { key: 'blob.bin', data: binary }], dir);
  assert.equal(iso, join(dir, 'cfg.config.iso'));
  assert.equal((await stat(iso)).mode & 0o777, 0o600, 'only its owner reads it (Secret values)');
  assert.match(execFileSync('xorriso', ['-indev', iso, '-pvd_info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), /Volume Id\s*:\s*OEMDRV/);
  const out = join(dir, 'out');
  execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', out], { stdio: 'ignore' });
  assert.deepEqual((await readdir(out)).sort(), ['blob.bin', 'ks.cfg']);
  assert.equal(await readFile(join(out, 'ks.cfg'), 'utf8'), 'text\nkickstart\n');
  assert.deepEqual(await readFile(join(out, 'blob.bin')), binary);
  assert.deepEqual((await readdir(dir)).sort(), ['cfg.config.iso', 'out'], 'no staging left behind');
  // An optional object that is missing: an empty disk, still labelled.
  const empty = await buildConfigDisk({ ...cfg, name: 'none' }, [], dir);
  assert.ok((await stat(empty)).size > 0);
});

test('a key that is not one path component, and a volume the controller gave no files for, are refused', { skip: xorrisoMissing }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-cfgdisk-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const key of ['..', '.', '../escape', 'a/b', '']) {
    await assert.rejects(buildConfigDisk(cfg, [{ key, data: Buffer.from('x') }], dir), (err: unknown) => err instanceof IsoFileNameError && err.message.includes(JSON.stringify(key)));
  }
  await assert.rejects(buildConfigDisk(cfg, undefined, dir), (err: unknown) => err instanceof ConfigVolumeDataError && /volume cfg: expected the keys of ConfigMap app/.test(err.message));
  assert.deepEqual(await readdir(dir), [], 'nothing written');
});
