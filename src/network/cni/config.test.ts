import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeNames, expandNetworkConfig, parseNetworkName, pluginBinary, pluginStdin, requiredBinaries } from './config.ts';
import { CniConfigError, InvalidAttachmentError } from './errors.ts';

const where = { network: 'pxe-net', networkName: 'default/pxe-net-conf' };
const seed = JSON.stringify({ cniVersion: '0.3.1', name: 'pxe-net-conf', plugins: [{ type: 'cnv-bridge', bridge: 'br1', ipam: {} }, { type: 'cnv-tuning' }] });

test('a bare network name is looked up in the pod namespace, ns/name in the named one', () => {
  assert.deepEqual(parseNetworkName('pxe-net-conf', 'vms'), { namespace: 'vms', name: 'pxe-net-conf' });
  assert.deepEqual(parseNetworkName('infra/pxe-net-conf', 'vms'), { namespace: 'infra', name: 'pxe-net-conf' });
  assert.throws(() => parseNetworkName('a/b/c', 'vms'), InvalidAttachmentError);
  assert.throws(() => parseNetworkName('../etc', 'vms'), /expected "name" or "namespace\/name"/);
});

test('cnv-bridge and cnv-tuning run the upstream bridge and tuning binaries', () => {
  assert.equal(pluginBinary('cnv-bridge'), 'bridge');
  assert.equal(pluginBinary('cnv-tuning'), 'tuning');
  assert.equal(pluginBinary('macvlan'), 'macvlan');
});

test('a config without a top-level type is a conflist; its plugins keep their order', () => {
  const list = expandNetworkConfig(seed, 'other', where);
  assert.equal(list.single, false);
  assert.equal(list.name, 'pxe-net-conf');
  assert.equal(list.cniVersion, '0.3.1');
  assert.deepEqual(list.plugins.map((p) => p.type), ['cnv-bridge', 'cnv-tuning']);
  assert.deepEqual(bridgeNames(list), ['br1']);
  assert.deepEqual(requiredBinaries(list).map((b) => b.binary), ['bridge', 'tuning']);
});

test('a single config becomes a list of one and gets the NAD name when it has none', () => {
  const list = expandNetworkConfig({ cniVersion: '0.3.1', type: 'bridge', ipam: { type: 'host-local', ranges: [] } }, 'my-nad', where);
  assert.equal(list.single, true);
  assert.equal(list.name, 'my-nad');
  assert.equal(list.plugins[0]?.name, 'my-nad');
  assert.deepEqual(bridgeNames(list), ['cni0']);
  assert.deepEqual(requiredBinaries(list), [
    { plugin: 'bridge', binary: 'bridge' },
    { plugin: 'bridge ipam host-local', binary: 'host-local' },
  ]);
});

test('a conflist without name gets the NAD name', () => {
  assert.equal(expandNetworkConfig({ cniVersion: '1.0.0', plugins: [{ type: 'bridge' }] }, 'nad-name', where).name, 'nad-name');
});

test('bad configs fail naming the network, the field, what was expected and what was found', () => {
  const err = (source: string | object) => {
    try {
      expandNetworkConfig(source, 'n', where);
    } catch (e) {
      assert.ok(e instanceof CniConfigError);
      return e;
    }
    assert.fail('expected a CniConfigError');
  };
  const badJson = err('{"cniVersion": ');
  assert.match(badJson.message, /^network pxe-net \(default\/pxe-net-conf\): spec\.config: expected a CNI config or conflist as JSON, found invalid JSON/);
  assert.match(err({ cniVersion: '0.3.1', name: 'x' }).message, /expected "type" \(a single plugin config\) or a non-empty "plugins" list \(a conflist\), found neither/);
  assert.match(err({ cniVersion: '0.3.1', plugins: [] }).message, /found plugins \[\]/);
  const noType = err({ cniVersion: '0.3.1', plugins: [{ type: 'bridge' }, { mtu: 9000 }] });
  assert.equal(noType.field, 'spec.config.plugins[1].type');
  assert.equal(noType.found, 'nothing');
  assert.equal(err({ plugins: [{ type: 'bridge' }] }).field, 'spec.config.cniVersion');
  assert.equal(err({ cniVersion: '0.3.1', type: 'bridge', ipam: 'host-local' }).field, 'spec.config.ipam');
  assert.match(err('[1,2]').message, /expected a JSON object \(a CNI config or conflist\), found \[1,2\]/);
});

test("each plugin gets the list's cniVersion and name, overriding its own", () => {
  const list = expandNetworkConfig({ cniVersion: '1.0.0', name: 'net', plugins: [{ type: 'bridge', name: 'mine', cniVersion: '0.1.0' }] }, 'n', where);
  const stdin = pluginStdin(list, 0);
  assert.equal(stdin.cniVersion, '1.0.0');
  assert.equal(stdin.name, 'net');
  assert.equal('prevResult' in stdin, false);
  assert.equal('runtimeConfig' in stdin, false);
});

test('runtimeConfig.mac is given only to plugins declaring the mac capability, replacing any written one', () => {
  const list = expandNetworkConfig(
    { cniVersion: '0.3.1', name: 'n', plugins: [{ type: 'bridge', runtimeConfig: { mac: 'aa:aa:aa:aa:aa:aa' } }, { type: 'tuning', capabilities: { mac: true }, runtimeConfig: { other: 1 } }] },
    'n',
    where,
  );
  const prevResult = { cniVersion: '0.3.1', interfaces: [{ name: 'net1' }] };
  const first = pluginStdin(list, 0, { capabilityArgs: { mac: 'de:00:00:00:00:de' } });
  assert.deepEqual(first.runtimeConfig, { mac: 'aa:aa:aa:aa:aa:aa' }, 'no capability: the config is passed as written');
  const second = pluginStdin(list, 1, { capabilityArgs: { mac: 'de:00:00:00:00:de' }, prevResult });
  assert.deepEqual(second.runtimeConfig, { mac: 'de:00:00:00:00:de' });
  assert.deepEqual(second.prevResult, prevResult);
  assert.deepEqual(second.capabilities, { mac: true });
});

test('a NAD whose ipam.dataDir leaves the allowed root is refused naming the field', () => {
  const where = { network: 'net1', networkName: 'default/evil' };
  const nad = (dataDir: unknown) => JSON.stringify({ cniVersion: '0.3.1', type: 'bridge', bridge: 'br1', ipam: { type: 'host-local', subnet: '10.0.0.0/24', dataDir } });
  for (const dir of ['/etc', '/var/lib/pxevirt/../../etc', 'relative/dir', '/var/lib/pxevirt-other', 7]) {
    assert.throws(() => expandNetworkConfig(nad(dir), 'evil', where, { ipamDataRoot: '/var/lib/pxevirt' }), (err: unknown) => err instanceof Error && /spec\.config\.ipam\.dataDir/.test(err.message) && err.message.includes('an absolute path inside /var/lib/pxevirt'));
  }
  assert.throws(() => expandNetworkConfig(nad('/var/lib/pxevirt/x'), 'evil', where), /no dataDir \(none is allowed here\)/);
  assert.equal(expandNetworkConfig(nad('/var/lib/pxevirt/cni/networks'), 'ok', where, { ipamDataRoot: '/var/lib/pxevirt' }).plugins.length, 1);
});
