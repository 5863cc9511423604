// `pxevirt up`'s settings from a config file: the file in the data dir is read when present,
// flags win over it, and a bad file is refused (by `up` and by `pull`, which reads the same
// file) naming each key with the expected and the found value, before anything is created.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemonProcess } from '../api/daemon-process.ts';
import { pxevirt } from './cli-process.ts';

test('pxevirt up and pull refuse a bad config file naming the key, the expected and the found value', { timeout: 60_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'pxevirt-upcfg-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const config = join(work, 'bad.yaml');
  writeFileSync(config, 'listen: 6443\nregistryMirrors:\n  docker.io: ftp://mirror\nmirrors: {}\n');
  for (const args of [['up', '--config', config, '--data-dir', join(work, 'd')], ['pull', 'x/y:1', '--config', config]]) {
    const r = await pxevirt(undefined, args);
    assert.equal(r.code, 3, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error: invalid pxevirt config ${config}:\\n`));
    assert.match(r.stderr, /\nlisten: expected HOST:PORT such as 127\.0\.0\.1:6443, found 6443\n/);
    assert.match(r.stderr, /\nregistryMirrors: expected a map of registry to mirror URL .*, wrong at "docker\.io", found \{"docker\.io":"ftp:\/\/mirror"\}\n/);
    assert.match(r.stderr, /\nmirrors: unknown key: expected one of listen, dataDir, .*registryMirrors\b.*, found "mirrors"\n/);
    assert.equal(existsSync(join(work, 'd')), false, 'nothing created');
  }
  const flag = await pxevirt(undefined, ['up', '--listen', 'nope', '--data-dir', join(work, 'd')]);
  assert.equal(flag.code, 3);
  assert.match(flag.stderr, /^error: invalid pxevirt up flags:\n--listen: expected HOST:PORT such as 127\.0\.0\.1:6443, found "nope"\n$/);
});

test('pxevirt up reads <data-dir>/config.yaml, and its flags win over it', { timeout: 60_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pxevirt-upcfg-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  writeFileSync(join(dataDir, 'config.yaml'), 'listen: 127.0.0.1:1\nnodeName: NOT_VALID\n');
  const refused = await pxevirt(undefined, ['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
  assert.equal(refused.code, 3, 'the file in the data dir is read');
  assert.match(refused.stderr, /\nnodeName: expected a DNS subdomain name .*, found "NOT_VALID"\n/);
  writeFileSync(join(dataDir, 'config.yaml'), 'listen: 127.0.0.1:1\nnodeName: cfg-node\n');
  const d = await startDaemonProcess(t, dataDir); // --listen 127.0.0.1:0 on its command line
  assert.notEqual(d.port, 1, 'the flag\'s listen address, not the file\'s');
  assert.match(readFileSync(d.kubeconfig, 'utf8'), new RegExp(`server: https://127\\.0\\.0\\.1:${d.port}`));
  assert.equal(await d.stop(), 0);
});
