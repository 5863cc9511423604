// ProxyDHCP on the wire: a PXE client gets boot fields but no address on port 67, and an
// ACK from port 4011 for its unicast REQUEST there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeNamespace, netnsUnavailable } from '../helpers/netns.ts';
import { scratchDir, startDhcpProcess, testConfig } from './server-process.ts';

const skip = await netnsUnavailable();
const CLIENT = fileURLToPath(new URL('./pxe-client.ts', import.meta.url));

test('proxy mode offers boot fields without an address and ACKs on port 4011', { skip, timeout: 120_000 }, async (t) => {
  const dir = await scratchDir(t);
  const root = join(dir, 'root');
  await mkdir(root);
  const ns = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  const config = testConfig(root, { mode: 'proxy' });
  delete (config.dhcp as Record<string, unknown>).range;
  const server = await startDhcpProcess(ns, config, join(dir, 'state'));
  t.after(() => server.stop());
  const client = await ns.addClient({ mac: 'de:00:00:00:00:de', address: '192.168.100.50/24' });
  const { stdout } = await client.exec(process.execPath, ['--import', 'tsx', CLIENT, 'de:00:00:00:00:de', '192.168.100.50', '192.168.100.1'], { timeoutMs: 60_000 });
  const { offer, ack } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, Record<string, unknown> | null>;

  assert.ok(offer, `expected a proxy offer, found none; server log: ${JSON.stringify(server.lines.slice(-5))}`);
  assert.equal(offer.type, 2);
  assert.equal(offer.yiaddr, '0.0.0.0');
  assert.equal(offer.siaddr, '192.168.100.1');
  assert.equal(offer.file, 'ipxe/ipxe.efi');
  assert.equal(offer.vendorClass, 'PXEClient');
  assert.equal(offer.serverId, '192.168.100.1');
  assert.equal(offer.discoveryControl, 8);
  assert.equal(offer.machineId, '005d307ca9b3ef428c886106e72d69f223');
  assert.equal(offer.hasLeaseTime, false);

  assert.ok(ack, 'expected an ACK from port 4011');
  assert.equal(ack.type, 5);
  assert.equal(ack.fromPort, 4011);
  assert.equal(ack.bootfile, 'http://192.168.100.1:8080/boot.ipxe?mac=de%3A00%3A00%3A00%3A00%3Ade&arch=efi-x64&uuid=5d307ca9-b3ef-428c-8861-06e72d69f223');

  const events = server.lines.filter((l) => l.proto === 'dhcp' && l.event !== undefined).map((l) => l.event);
  assert.deepEqual(events, ['discover', 'proxy-offer', 'request', 'proxy-ack']);
});
