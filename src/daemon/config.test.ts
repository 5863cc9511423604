import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ValidationError } from '../resources/causes.ts';
import { CONFIG_KEYS, configFromFlags, loadDaemonConfig, mergeDaemonConfig, parseDaemonConfig, resolveDaemonConfig } from './config.ts';

const causesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    return err.causes.map((c) => `${c.field}: ${c.message}`);
  }
  assert.fail('expected a ValidationError');
};

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('reads every key from YAML, relative paths taken from the file\'s directory', () => {
  const text = [
    'listen: 127.0.0.1:7443',
    'dataDir: state',
    'logLevel: debug',
    'nodeName: node-1',
    'netnsPrefix: pxt-',
    'controllers: false',
    'registryMirrors:',
    '  docker.io: http://127.0.0.1:5000',
    '  quay.io: https://mirror.example/quay',
  ].join('\n');
  assert.deepEqual(parseDaemonConfig(text, '/etc/pxevirt/config.yaml'), {
    listen: '127.0.0.1:7443',
    dataDir: '/etc/pxevirt/state',
    logLevel: 'debug',
    nodeName: 'node-1',
    netnsPrefix: 'pxt-',
    controllers: false,
    registryMirrors: { 'docker.io': 'http://127.0.0.1:5000', 'quay.io': 'https://mirror.example/quay' },
  });
});

test('reads JSON, and an empty file is no settings', () => {
  assert.deepEqual(parseDaemonConfig('{"listen": "[::1]:6443", "registryMirrors": {"docker.io": "http://127.0.0.1:5000"}}', '/x.json'), {
    listen: '[::1]:6443',
    registryMirrors: { 'docker.io': 'http://127.0.0.1:5000' },
  });
  assert.deepEqual(parseDaemonConfig('', '/x.yaml'), {});
  assert.deepEqual(parseDaemonConfig('# nothing yet\n', '/x.yaml'), {});
});

test('refuses an unknown key naming it and the keys it knows', () => {
  const causes = causesOf(() => parseDaemonConfig('registryMirror:\n  docker.io: http://127.0.0.1:5000\n', '/c.yaml'));
  assert.equal(causes.length, 1);
  assert.equal(causes[0], `registryMirror: unknown key: expected one of ${Object.keys(CONFIG_KEYS).join(', ')}, found "registryMirror"`);
  assert.match(causes[0]!, /expected one of listen, dataDir, logLevel, nodeName, netnsPrefix, controllers, registryMirrors\b/);
});

test('refuses bad values naming the key, the expected and the found value, all at once', () => {
  const text = ['listen: 6443', 'logLevel: loud', 'controllers: "yes"', 'nodeName: Node_1', 'registryMirrors:', '  docker.io: ftp://mirror'].join('\n');
  const causes = causesOf(() => parseDaemonConfig(text, '/c.yaml'));
  assert.deepEqual(causes, [
    'listen: expected HOST:PORT such as 127.0.0.1:6443, found 6443',
    'logLevel: expected one of debug, info, warn, error, found "loud"',
    'controllers: expected true or false, found "yes"',
    'nodeName: expected a DNS subdomain name such as node-1 (lower-case letters, digits, \'-\', \'.\'), found "Node_1"',
    'registryMirrors: expected a map of registry to mirror URL such as {docker.io: http://127.0.0.1:5000} (a registry host[:port] and an http(s) URL), wrong at "docker.io", found {"docker.io":"ftp://mirror"}',
  ]);
  assert.deepEqual(causesOf(() => parseDaemonConfig('registryMirrors: [docker.io=http://x]', '/c.yaml')), [
    'registryMirrors: expected a map of registry to mirror URL such as {docker.io: http://127.0.0.1:5000}, found ["docker.io=http://x"]',
  ]);
  assert.deepEqual(causesOf(() => parseDaemonConfig('listen: 127.0.0.1:65536', '/c.yaml')), ['listen: expected HOST:PORT such as 127.0.0.1:6443, found "127.0.0.1:65536"']);
});

test('refuses a document that is not a map, and a syntax error with its line', () => {
  assert.deepEqual(causesOf(() => parseDaemonConfig('- listen: x', '/c.yaml')), ['<config>: expected a map of settings, found [{"listen":"x"}]']);
  const [syntax] = causesOf(() => parseDaemonConfig('listen: [127.0.0.1:1\n', '/c.yaml'));
  assert.match(syntax!, /^<config>: expected YAML or JSON, found a syntax error at line \d+, column \d+/);
  assert.match(causesOf(() => parseDaemonConfig('listen: a:1\nlisten: b:2\n', '/c.yaml'))[0]!, /syntax error.*unique/i);
});

test('loads <data-dir>/config.yaml when present and nothing otherwise; a named file must exist', async (t) => {
  const dir = tempDir(t);
  assert.deepEqual(await loadDaemonConfig({ dataDir: dir }), { config: {} });
  await assert.rejects(loadDaemonConfig({ dataDir: dir, config: join(dir, 'missing.yaml') }), /cannot read pxevirt config .*missing\.yaml: expected a readable file, found ENOENT/);
  writeFileSync(join(dir, 'config.yaml'), 'nodeName: n1\n');
  assert.deepEqual(await loadDaemonConfig({ dataDir: dir }), { config: { nodeName: 'n1' }, path: join(dir, 'config.yaml') });
});

test('a config file inside the data dir may not point the data dir elsewhere', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'config.yaml'), `dataDir: ${dir}\n`);
  assert.deepEqual((await loadDaemonConfig({ dataDir: dir })).config, { dataDir: dir });
  writeFileSync(join(dir, 'config.yaml'), 'dataDir: /elsewhere\n');
  await assert.rejects(loadDaemonConfig({ dataDir: dir }), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.match(err.message, /dataDir: a config file inside the data dir cannot move it: expected ".*" or no dataDir, found "\/elsewhere"/);
    return true;
  });
});

test('flags win over the file; registry mirrors merge per registry with the flag\'s URL winning', () => {
  const file = { listen: '127.0.0.1:1', nodeName: 'from-file', registryMirrors: { 'docker.io': 'http://a:5000', 'quay.io': 'http://q:5000' } };
  const flags = configFromFlags({ listen: '127.0.0.1:0', registryMirror: ['docker.io=http://b:5000'], controllers: false }, '/cwd');
  assert.deepEqual(mergeDaemonConfig(file, flags), {
    listen: '127.0.0.1:0',
    nodeName: 'from-file',
    controllers: false,
    registryMirrors: { 'docker.io': 'http://b:5000', 'quay.io': 'http://q:5000' },
  });
});

test('flags are checked like the file\'s keys, causes naming the flag', () => {
  assert.deepEqual(configFromFlags({ dataDir: 'rel', config: 'ignored.yaml' }, '/cwd'), { dataDir: '/cwd/rel' });
  assert.deepEqual(causesOf(() => configFromFlags({ listen: '6443', registryMirror: ['docker.io'], netnsPrefix: 'a/b' }, '/cwd')), [
    '--listen: expected HOST:PORT such as 127.0.0.1:6443, found "6443"',
    '--registry-mirror: expected REGISTRY=URL such as docker.io=http://127.0.0.1:5000, found "docker.io"',
    '--netns-prefix: expected 1 to 32 letters, digits, \'_\', \'.\' or \'-\' starting with a letter or digit, found "a/b"',
  ]);
  assert.throws(() => configFromFlags({ noSuchFlag: 'x' }, '/cwd'), /flag --no-such-flag has no config key "noSuchFlag" in CONFIG_KEYS/);
});

test('resolves flags, then --config, then defaults; a --config file may set the data dir', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'up.json');
  writeFileSync(file, JSON.stringify({ dataDir: 'data', registryMirrors: { 'docker.io': 'http://127.0.0.1:5000' }, logLevel: 'warn' }));
  assert.deepEqual(await resolveDaemonConfig({ config: 'up.json', logLevel: 'debug' }, { cwd: dir, defaultDataDir: '/default' }), {
    dataDir: join(dir, 'data'),
    listen: '127.0.0.1:6443',
    logLevel: 'debug',
    registryMirrors: { 'docker.io': 'http://127.0.0.1:5000' },
    configPath: file,
  });
  assert.deepEqual(await resolveDaemonConfig({}, { cwd: dir, defaultDataDir: join(dir, 'nothing-here') }), {
    dataDir: join(dir, 'nothing-here'),
    listen: '127.0.0.1:6443',
    logLevel: 'info',
  });
});
