import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nadKind } from './nad-kind.ts';
import { validateCniConfig } from './cni-config.ts';
import { DNS1123_LABEL_MESSAGE } from './names.ts';
import { readSeed } from '../../test/helpers/kubevirt-fixtures.ts';
import { assertCause } from '../../test/helpers/causes.ts';

const create = { operation: 'CREATE' } as const;
const nad = (config: unknown, name = 'net1') => ({ apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name }, spec: { config } });
const F = 'spec.config';

test('the seed NAD (a cnv-bridge + cnv-tuning conflist) passes', () => {
  const seed = readSeed('pxe-net-conf.yaml');
  assert.deepEqual(nadKind.validate(nadKind.default(seed, create), create), []);
});

test('a single plugin config passes', () => {
  assert.deepEqual(validateCniConfig(JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'bridge', bridge: 'br1', ipam: { type: 'host-local' } }), F), []);
});

test('the name must be a DNS-1123 label (no dots)', () => {
  assertCause(nadKind.validate(nad('{"cniVersion":"0.3.1","type":"bridge"}', 'pxe.net'), create), 'metadata.name', `Invalid value: "pxe.net": ${DNS1123_LABEL_MESSAGE}`);
});

test('config that is not JSON, or missing', () => {
  assertCause(validateCniConfig('{ nope', F), F, /^expected a CNI config or conflist as JSON, found invalid JSON: /);
  assertCause(validateCniConfig(undefined, F), F, /^Required value: expected a CNI config or conflist/);
  assertCause(validateCniConfig('[1]', F), F, 'expected a JSON object (a CNI config or conflist), found [1]');
});

test('a config without cniVersion', () => {
  assertCause(validateCniConfig('{"type":"bridge"}', F), F, 'expected "cniVersion" like "0.3.1" or "1.0.0", found nothing');
});

test('neither type nor plugins, both, or an empty plugin list', () => {
  assertCause(validateCniConfig('{"cniVersion":"0.3.1"}', F), F, 'expected "type" (a single plugin config) or "plugins" (a conflist), found neither');
  assertCause(validateCniConfig('{"cniVersion":"0.3.1","type":"bridge","plugins":[{"type":"bridge"}]}', F), F, 'expected either "type" (a single config) or "plugins" (a conflist), found both');
  assertCause(validateCniConfig('{"cniVersion":"0.3.1","plugins":[]}', F), F, 'expected "plugins" to be a non-empty list, found []');
});

test('a plugin type is a file name, never a path; any name is accepted (the node looks it up)', () => {
  assert.deepEqual(validateCniConfig('{"cniVersion":"0.3.1","plugins":[{"type":"bridge"},{"type":"calico"}]}', F), []);
  assertCause(validateCniConfig('{"cniVersion":"0.3.1","plugins":[{"type":"bridge"},{"type":"../../bin/sh"}]}', F), F, /^plugins\[1\]\.type: expected a plugin name such as bridge or cnv-bridge .* found "\.\.\/\.\.\/bin\/sh"$/);
});

test('an IPAM type that is not a plugin name', () => {
  assertCause(validateCniConfig('{"cniVersion":"0.3.1","type":"bridge","ipam":{"type":"/tmp/x"}}', F), F, 'config.ipam.type: expected an IPAM plugin name such as host-local, static or dhcp, found "/tmp/x"');
});
