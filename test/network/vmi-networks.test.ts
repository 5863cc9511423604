// VMIs' networks through the daemon (issue 5, Must show 4 and 5): CNI failures end in a
// Failed VMI whose Warning Event carries the plugin's message and leave nothing on the node;
// ten VMIs on the pod network and the seed NAD, created and deleted, leave the node's
// interfaces and namespaces as they were. The daemon's node is a throwaway namespace
// (`--node-netns`); the VMIs have no disks (QEMU starts, iPXE finds nothing): no boot is needed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { kubectlMissing, startDaemonProcess, tempDataDir, type DaemonProcess } from '../api/daemon-process.ts';
import { createNodeNamespace, netnsUnavailable, podNamespaces, removeNamespaces, type NodeNamespace } from '../helpers/netns.ts';
import { until } from '../helpers/vmi-node.ts';
import { qemuUnavailable } from '../helpers/qemu.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const NAD_FILE = join(ROOT, 'examples/seed-scenario/pxe-net-conf.yaml');
const skip = kubectlMissing() ?? (await netnsUnavailable()) ?? (await qemuUnavailable());

async function inventory(node: NodeNamespace, prefix: string): Promise<string> {
  const links = (JSON.parse((await node.exec('ip', ['-j', 'link', 'show'])).stdout) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
  // The daemon's spare namespace (at most one) is not a pod: it is there after the first start.
  const pods = await podNamespaces(prefix);
  return JSON.stringify({ links, pods });
}

function vmi(name: string, network: string): Record<string, unknown> {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 0,
      domain: {
        resources: { requests: { memory: '64Mi' } },
        devices: { autoattachGraphicsDevice: false, interfaces: [{ name: 'default', masquerade: {} }, { name: 'net', bridge: {} }] },
      },
      networks: [{ name: 'default', pod: {} }, { name: 'net', multus: { networkName: network } }],
    },
  };
}

const nad = (name: string, config: unknown) => JSON.stringify({ apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name }, spec: { config: typeof config === 'string' ? config : JSON.stringify(config) } });

test('VMI networks: CNI failures fail the VMI with the plugin\'s message, and ten VMIs leave the node as they found it', { skip, timeout: 900_000 }, async (t) => {
  const node = await createNodeNamespace(t);
  const prefix = `pxw${randomBytes(2).toString('hex')}-`;
  const dataDir = tempDataDir(t);
  const d: DaemonProcess = await startDaemonProcess(t, dataDir, { controllers: true, args: ['--node-netns', node.name, '--netns-prefix', prefix, '--pxe-netns-prefix', prefix] });
  t.after(async () => {
    await d.kill9();
    await removeNamespaces(prefix);
  });
  const kubectl = async (args: string[], input?: string) => {
    const r = await d.kubectl(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const before = await inventory(node, prefix);

  const failures: Array<{ name: string; setup?: () => Promise<unknown>; network: string; message: RegExp }> = [
    {
      name: 'nad-deleted',
      setup: async () => {
        await kubectl(['create', '-f', NAD_FILE]);
        await kubectl(['delete', '-f', NAD_FILE]);
      },
      network: 'pxe-net-conf',
      message: /network-attachment-definitions\.k8s\.cni\.cncf\.io "pxe-net-conf" not found/,
    },
    {
      name: 'plugin-missing',
      setup: () => kubectl(['create', '-f', '-'], nad('no-plugin', { cniVersion: '0.3.1', name: 'no-plugin', type: 'no-such-plugin' })),
      network: 'no-plugin',
      message: /no-such-plugin/,
    },
    {
      name: 'bad-config',
      // The bridge plugin itself refuses this (its Go JSON decoder): its message must reach the user.
      setup: () => kubectl(['create', '-f', '-'], nad('bad-mtu', { cniVersion: '0.3.1', name: 'bad-mtu', plugins: [{ type: 'bridge', bridge: 'brbad', mtu: 'big', ipam: {} }] })),
      network: 'bad-mtu',
      message: /mtu/i,
    },
  ];
  for (const f of failures) {
    await t.test(`a VMI whose network fails (${f.name}) ends Failed with the message in an Event, leaving nothing`, async () => {
      await f.setup?.();
      await kubectl(['create', '-f', '-'], JSON.stringify(vmi(f.name, f.network)));
      await until(`${f.name} Failed`, async () => (await d.kubectl(['get', 'vmi', f.name, '-o', 'jsonpath={.status.phase}'])).stdout.trim() === 'Failed');
      const events = JSON.parse(await kubectl(['get', 'events', '-o', 'json'])) as { items: Array<{ type: string; message: string; involvedObject: { name: string } }> };
      const warning = events.items.find((e) => e.involvedObject.name === f.name && e.type === 'Warning');
      assert.ok(warning, `a Warning Event for ${f.name}`);
      assert.match(warning.message, f.message);
      assert.match(warning.message, /network/);
      assert.equal(await inventory(node, prefix), before, 'nothing is left on the node');
      await kubectl(['delete', 'vmi', f.name]);
    });
  }

  await t.test('ten VMIs on the pod network and the seed NAD come and go without a trace', async () => {
    await kubectl(['create', '-f', NAD_FILE]);
    const names = Array.from({ length: 10 }, (_, i) => `many-${i}`);
    await kubectl(['create', '-f', '-'], names.map((n) => JSON.stringify(vmi(n, 'pxe-net-conf'))).join('\n'));
    let seen = '';
    const running = await until('all ten Running', async () => {
      const list = JSON.parse(await kubectl(['get', 'vmi', '-o', 'json'])) as { items: Array<{ metadata: { name: string }; status?: { phase?: string; interfaces?: Array<{ name: string; ipAddress?: string; mac: string }>; conditions?: Array<{ type: string; reason?: string; message?: string }> } }> };
      const up = list.items.filter((o) => o.metadata.name.startsWith('many-') && o.status?.phase === 'Running');
      // What the ones not Running say, for the message if the wait runs out.
      seen = list.items.filter((o) => o.status?.phase !== 'Running').map((o) => `${o.metadata.name}: ${o.status?.phase ?? '-'} ${JSON.stringify(o.status?.conditions?.map((c) => `${c.reason ?? ''} ${c.message ?? ''}`) ?? [])}`).join('; ');
      return up.length === 10 ? up : undefined;
    }, 600_000).catch((err: Error) => {
      throw new Error(`${err.message}; not Running: ${seen}`);
    });
    const podIps = running.map((o) => o.status?.interfaces?.find((i) => i.name === 'default')?.ipAddress);
    assert.equal(new Set(podIps).size, 10, `ten distinct pod addresses: ${podIps.join(' ')}`);
    const macs = running.flatMap((o) => (o.status?.interfaces ?? []).map((i) => i.mac));
    assert.equal(new Set(macs).size, 20, 'twenty distinct MACs from the pool');
    const pods = await podNamespaces(prefix);
    assert.equal(pods.length, 10, 'one pod netns per VMI');
    const bridgePorts = JSON.parse((await node.exec('ip', ['-j', 'link', 'show', 'master', 'br1'])).stdout || '[]') as unknown[];
    assert.equal(bridgePorts.length, 10, 'ten veths on br1');
    await kubectl(['delete', 'vmi', ...names]);
    await until('all ten gone', async () => !(await kubectl(['get', 'vmi', '-o', 'name'])).includes('many-'));
    assert.equal(await until('the node as before', async () => ((await inventory(node, prefix)) === before ? before : undefined), 60_000), before);
    const leftovers = await readdir(join(dataDir, 'cni', 'networks', 'pxevirt-pod-network')).catch(() => [] as string[]);
    assert.deepEqual(leftovers.filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)), [], 'no address is still allocated');
    assert.ok(!(await readFile(join(dataDir, 'cni', 'cache', 'created-bridges.json'), 'utf8').catch(() => '')).includes('br1'), 'br1 is no longer recorded');
  });
});
