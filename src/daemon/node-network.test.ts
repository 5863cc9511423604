import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../lib/logger.ts';
import { HostNetworkRefusedError, nncpHost, nodeCniManager } from './node-network.ts';

const pod = { namespace: 'default', name: 'vmi', uid: 'u1', netns: 'pxv-u1', containerId: 'c1' };

test('in the machine\'s own namespace, CNI ADD and NNCPs are refused, naming --node-netns and --host-network', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pxevirt-node-network-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const cni = nodeCniManager({ dataDir, log: silentLogger, resolveNad: () => undefined, inInitialNetns: () => true });
  await assert.rejects(cni.add(pod, [{ network: 'default', ifname: 'eth0' }]), (err: unknown) => {
    assert.ok(err instanceof HostNetworkRefusedError);
    assert.match(err.message, /default\/vmi needs the node network/);
    assert.match(err.message, /--node-netns NAME/);
    assert.match(err.message, /--host-network/);
    return true;
  });
  await assert.rejects(nncpHost({ inInitialNetns: () => true }).read(), HostNetworkRefusedError);
  await assert.rejects(nncpHost({ inInitialNetns: () => true }).run(['ip', 'link', 'add', 'br9', 'type', 'bridge']), HostNetworkRefusedError);
});

test('--node-netns, --host-network or a namespace of its own lift the refusal', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pxevirt-node-network-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  for (const extra of [{ nodeNetns: 'node1' }, { hostNetwork: true }, { inInitialNetns: () => false }]) {
    const cni = nodeCniManager({ dataDir, log: silentLogger, resolveNad: () => undefined, inInitialNetns: () => true, ...extra });
    // The real manager resolves every network before running anything: a missing NAD fails first.
    await assert.rejects(cni.add(pod, [{ network: 'pxe', ifname: 'net1', networkName: 'missing' }]), (err: unknown) => {
      assert.ok(!(err instanceof HostNetworkRefusedError), `not refused with ${JSON.stringify(extra)}`);
      assert.match(String(err), /"missing" not found/);
      return true;
    });
  }
});
