import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../lib/logger.ts';
import { CniPluginError, CniPluginTimeoutError, CniTeardownError, InvalidAttachmentError, NadNotFoundError, PluginNotFoundError, PodAlreadyAttachedError } from './errors.ts';
import type { PluginInvocation, PluginOutput } from './exec.ts';
import { createCniManager, type CniManagerOptions } from './manager.ts';
import type { CniHost } from './node-bridges.ts';
import type { CniAttachment, CniPod, CniResult } from './types.ts';

const pod: CniPod = { namespace: 'default', name: 'vm1', uid: '6f1c2a9e-0000-4000-8000-000000000001', netns: 'pxv-6f1c2a9e', containerId: 'pxevirt-6f1c2a9e' };
const seed = JSON.stringify({ cniVersion: '0.3.1', name: 'pxe-net-conf', plugins: [{ type: 'cnv-bridge', bridge: 'br1', ipam: {} }, { type: 'cnv-tuning' }] });
const podNetwork = { cniVersion: '1.0.0', name: 'pod-net', plugins: [{ type: 'bridge', bridge: 'pxvbr0', isGateway: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.0.0/24' }]] } }] };
const attachments: CniAttachment[] = [
  { network: 'default', ifname: 'eth0' },
  { network: 'pxe-net', ifname: 'net1', networkName: 'pxe-net-conf', mac: 'DE:00:00:00:00:DE' },
];

interface Call {
  command: string;
  binary: string;
  plugin: string;
  ifname: string;
  stdin: Record<string, unknown>;
  env: Record<string, string>;
}

/** A fake node: links, bridges with ports, the pod netns; plugins act on it like the real ones. */
function fakeNode(links: string[] = []) {
  const ports = new Map<string, Set<string>>(links.map((l) => [l, new Set()]));
  const host: CniHost = {
    linkExists: async (name) => ports.has(name),
    bridgePorts: async (name) => (ports.has(name) ? [...(ports.get(name) ?? [])] : undefined),
    deleteLink: async (name) => void ports.delete(name),
    netnsExists: async () => true,
  };
  return { host, ports };
}

type Behaviour = (call: Call) => PluginOutput | undefined;

async function setup(t: TestContext, options: { behaviour?: Behaviour; nads?: Record<string, string>; links?: string[]; extra?: Partial<CniManagerOptions> } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'pxv-cni-unit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pluginDir = join(dir, 'bin');
  await rm(pluginDir, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(pluginDir));
  for (const b of ['bridge', 'tuning', 'host-local']) {
    await writeFile(join(pluginDir, b), '#!/bin/sh\nexit 1\n');
    await chmod(join(pluginDir, b), 0o755);
  }
  const calls: Call[] = [];
  const node = fakeNode(options.links);
  const nads = new Map(Object.entries(options.nads ?? { 'default/pxe-net-conf': seed }));
  const runPlugin = async (inv: PluginInvocation): Promise<PluginOutput> => {
    const stdin = JSON.parse(inv.stdin) as Record<string, unknown>;
    const call: Call = { command: inv.env.CNI_COMMAND ?? '', binary: inv.binary, plugin: inv.plugin, ifname: inv.env.CNI_IFNAME ?? '', stdin, env: inv.env };
    calls.push(call);
    const custom = options.behaviour?.(call);
    if (custom) return custom;
    if (call.command === 'DEL') {
      if (call.binary === 'bridge') for (const p of node.ports.values()) p.delete(`veth-${call.env.CNI_CONTAINERID}-${call.ifname}`);
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    const prev = stdin.prevResult as CniResult | undefined;
    if (call.binary === 'bridge') {
      const br = String(stdin.bridge);
      if (!node.ports.has(br)) node.ports.set(br, new Set());
      node.ports.get(br)?.add(`veth-${call.env.CNI_CONTAINERID}-${call.ifname}`);
      const result: CniResult = {
        cniVersion: String(stdin.cniVersion),
        interfaces: [{ name: br, mac: '0a:00:00:00:00:01' }, { name: `veth-${call.ifname}`, mac: '0a:00:00:00:00:02' }, { name: call.ifname, mac: '0a:00:00:00:00:03', sandbox: call.env.CNI_NETNS ?? '' }],
        ...(call.ifname === 'eth0' ? { ips: [{ interface: 2, address: '10.244.0.2/24', gateway: '10.244.0.1' }] } : {}),
      };
      return { exitCode: 0, stdout: JSON.stringify(result), stderr: '' };
    }
    // tuning: sets the MAC from CNI_ARGS on the sandbox interface.
    const mac = /MAC=([^;]+)/.exec(call.env.CNI_ARGS ?? '')?.[1];
    const result = { ...prev, interfaces: prev?.interfaces?.map((i) => (i.sandbox && mac ? { ...i, mac } : i)) };
    return { exitCode: 0, stdout: JSON.stringify(result), stderr: '' };
  };
  const make = () =>
    createCniManager({
      pluginDirs: [pluginDir],
      cacheDir: join(dir, 'cache'),
      resolveNad: (ns, name) => nads.get(`${ns}/${name}`),
      defaultNetwork: podNetwork,
      log: silentLogger,
      runPlugin,
      host: node.host,
      ...options.extra,
    });
  const cacheFiles = async () => readdir(join(dir, 'cache', 'pods', pod.containerId)).catch(() => [] as string[]);
  return { cni: make(), make, calls, nads, node, cacheFiles, pluginDir, dir };
}

const trace = (calls: Call[]) => calls.map((c) => `${c.command} ${c.ifname} ${c.plugin}`);

test('ADD runs the default network, then each conflist plugin in order with the previous result', async (t) => {
  const { cni, calls } = await setup(t);
  const results = await cni.add(pod, attachments);
  assert.deepEqual(trace(calls), ['ADD eth0 bridge', 'ADD net1 cnv-bridge', 'ADD net1 cnv-tuning']);
  const [eth0, bridge, tuning] = calls;
  assert.equal(bridge?.binary, 'bridge');
  assert.equal(tuning?.binary, 'tuning');
  assert.equal(bridge?.stdin.prevResult, undefined);
  assert.deepEqual((tuning?.stdin.prevResult as CniResult).interfaces?.[2]?.name, 'net1');
  assert.equal(tuning?.stdin.name, 'pxe-net-conf');
  assert.equal(tuning?.stdin.cniVersion, '0.3.1');
  assert.equal(eth0?.env.CNI_NETNS, '/run/netns/pxv-6f1c2a9e');
  assert.equal(eth0?.env.CNI_CONTAINERID, 'pxevirt-6f1c2a9e');
  assert.match(eth0?.env.CNI_PATH ?? '', /\/bin$/);
  assert.doesNotMatch(eth0?.env.CNI_ARGS ?? '', /MAC=/);
  assert.match(tuning?.env.CNI_ARGS ?? '', /^IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=vm1;K8S_POD_INFRA_CONTAINER_ID=pxevirt-6f1c2a9e;K8S_POD_UID=6f1c2a9e-[^;]+;MAC=de:00:00:00:00:de$/);
  assert.deepEqual(
    results.map((r) => [r.network, r.ifname, r.networkName, r.default, r.mac, r.ips]),
    [
      ['default', 'eth0', 'pod-net', true, '0a:00:00:00:00:03', ['10.244.0.2/24']],
      ['pxe-net', 'net1', 'default/pxe-net-conf', false, 'de:00:00:00:00:de', []],
    ],
  );
});

test('runtimeConfig.mac reaches plugins that declare the mac capability', async (t) => {
  const nad = JSON.stringify({ cniVersion: '0.3.1', plugins: [{ type: 'bridge', bridge: 'br1' }, { type: 'tuning', capabilities: { mac: true } }] });
  const { cni, calls } = await setup(t, { nads: { 'infra/macnet': nad } });
  await cni.add(pod, [{ network: 'n', ifname: 'net1', networkName: 'infra/macnet', mac: 'de:00:00:00:00:de' }]);
  assert.equal(calls[0]?.stdin.runtimeConfig, undefined);
  assert.deepEqual(calls[1]?.stdin.runtimeConfig, { mac: 'de:00:00:00:00:de' });
  assert.equal(calls[1]?.stdin.name, 'macnet', 'a conflist without name gets the NAD name');
});

test('DEL after the NAD is deleted and the manager restarted runs from the cache, in reverse, with the final result', async (t) => {
  const { cni, make, calls, nads, cacheFiles } = await setup(t);
  await cni.add(pod, attachments);
  assert.deepEqual(await cacheFiles(), ['00-eth0.json', '01-net1.json']);
  nads.clear();
  calls.length = 0;
  await make().del(pod);
  assert.deepEqual(trace(calls), ['DEL net1 cnv-tuning', 'DEL net1 cnv-bridge', 'DEL eth0 bridge']);
  for (const c of calls.slice(0, 2)) assert.equal((c.stdin.prevResult as CniResult).interfaces?.[2]?.mac, 'de:00:00:00:00:de', 'the final (tuned) result');
  assert.match(calls[0]?.env.CNI_ARGS ?? '', /MAC=de:00:00:00:00:de/);
  assert.deepEqual(await cacheFiles(), []);
});

test('DEL of a pod with nothing cached does nothing, and DEL twice is fine', async (t) => {
  const { cni, calls } = await setup(t);
  await cni.del(pod);
  await cni.add(pod, attachments);
  await cni.del(pod);
  const n = calls.length;
  await cni.del(pod);
  assert.equal(calls.length, n);
});

test('a failed plugin DELs itself and everything added before it, in reverse, and throws its message', async (t) => {
  const { cni, calls, cacheFiles } = await setup(t, {
    behaviour: (c) => (c.command === 'ADD' && c.binary === 'tuning' ? { exitCode: 1, stdout: '{"code":999,"msg":"failed to set MAC","details":"device busy"}', stderr: '' } : undefined),
  });
  const err = await cni.add(pod, attachments).then(
    () => assert.fail('expected ADD to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CniPluginError);
  assert.equal(err.message, 'network pxe-net (default/pxe-net-conf): plugin cnv-tuning (tuning) ADD failed: failed to set MAC: device busy (code 999)');
  assert.deepEqual([err.network, err.plugin, err.command, err.code, err.msg], ['pxe-net', 'cnv-tuning', 'ADD', 999, 'failed to set MAC']);
  assert.deepEqual(trace(calls), ['ADD eth0 bridge', 'ADD net1 cnv-bridge', 'ADD net1 cnv-tuning', 'DEL net1 cnv-tuning', 'DEL net1 cnv-bridge', 'DEL eth0 bridge']);
  assert.equal((calls[3]?.stdin.prevResult as CniResult).interfaces?.[0]?.name, 'br1', "the failing plugin's DEL gets the last result there is");
  assert.deepEqual(await cacheFiles(), []);
  await cni.add(pod, [attachments[0] as CniAttachment]);
});

test('a plugin failing without a CNI error reports its stderr', async (t) => {
  const { cni } = await setup(t, { behaviour: (c) => (c.command === 'ADD' ? { exitCode: 2, stdout: '', stderr: 'panic: boom\n' } : undefined) });
  await assert.rejects(cni.add(pod, attachments), (e: unknown) => e instanceof CniPluginError && e.code === undefined && /plugin bridge ADD failed: panic: boom$/.test(e.message));
});

test('a plugin that exceeds its deadline fails with a timeout error', async (t) => {
  const { cni, calls } = await setup(t, { behaviour: (c) => (c.command === 'ADD' && c.ifname === 'net1' ? { exitCode: null, stdout: '', stderr: '', timedOut: true } : undefined), extra: { pluginTimeoutMs: 5000 } });
  await assert.rejects(cni.add(pod, attachments), (e: unknown) => e instanceof CniPluginTimeoutError && /plugin cnv-bridge ADD did not finish within 5000 ms/.test(e.message));
  assert.deepEqual(trace(calls).slice(-2), ['DEL net1 cnv-bridge', 'DEL eth0 bridge']);
});

test('a missing NAD fails before any plugin runs, naming it as Kubernetes does', async (t) => {
  const { cni, calls } = await setup(t, { nads: {} });
  await assert.rejects(cni.add(pod, attachments), (e: unknown) => e instanceof NadNotFoundError && e.message === 'network pxe-net: network-attachment-definitions.k8s.cni.cncf.io "pxe-net-conf" not found in namespace default');
  assert.equal(calls.length, 0);
});

test('a missing plugin binary fails before any plugin runs, naming it and the dirs searched', async (t) => {
  const { cni, calls, pluginDir } = await setup(t);
  await rm(join(pluginDir, 'tuning'));
  await assert.rejects(cni.add(pod, attachments), (e: unknown) => e instanceof PluginNotFoundError && e.message === `network pxe-net (default/pxe-net-conf): CNI plugin cnv-tuning (binary tuning) not found in ${pluginDir}`);
  assert.equal(calls.length, 0);
});

test('attachments with a duplicate interface name or a bad MAC are refused', async (t) => {
  const { cni } = await setup(t);
  await assert.rejects(cni.add(pod, [attachments[0] as CniAttachment, { network: 'x', ifname: 'eth0', networkName: 'pxe-net-conf' }]), InvalidAttachmentError);
  await assert.rejects(cni.add(pod, [{ network: 'x', ifname: 'net1', networkName: 'pxe-net-conf', mac: 'nope' }]), /attachments\[0\]\.mac: expected a MAC address/);
});

test('ADD for a pod still attached is refused until it is deleted', async (t) => {
  const { cni } = await setup(t);
  await cni.add(pod, attachments);
  await assert.rejects(cni.add(pod, attachments), PodAlreadyAttachedError);
  await cni.del(pod);
  await cni.add(pod, attachments);
});

test('teardown tries every network, joins the failures and keeps them for the next DEL', async (t) => {
  let failEth0 = true;
  const { cni, calls, cacheFiles } = await setup(t, {
    behaviour: (c) => (c.command === 'DEL' && c.ifname === 'eth0' && failEth0 ? { exitCode: 1, stdout: '{"code":7,"msg":"ipam busy"}', stderr: '' } : undefined),
  });
  await cni.add(pod, attachments);
  calls.length = 0;
  await assert.rejects(cni.del(pod), (e: unknown) => e instanceof CniTeardownError && e.errors.length === 1 && /network default \(pod-net\): plugin bridge DEL failed: ipam busy \(code 7\)/.test(e.message));
  assert.deepEqual(trace(calls), ['DEL net1 cnv-tuning', 'DEL net1 cnv-bridge', 'DEL eth0 bridge']);
  assert.deepEqual(await cacheFiles(), ['00-eth0.json']);
  failEth0 = false;
  calls.length = 0;
  await cni.del(pod);
  assert.deepEqual(trace(calls), ['DEL eth0 bridge']);
  assert.deepEqual(await cacheFiles(), []);
});

test('bridges the plugin created are deleted once no port is left; bridges that existed are kept', async (t) => {
  const { cni, node } = await setup(t, { links: ['br1'] });
  const pod2 = { ...pod, uid: 'second-0000', containerId: 'pxevirt-second', netns: 'pxv-second' };
  await cni.add(pod, attachments);
  await cni.add(pod2, [{ network: 'default', ifname: 'eth0' }]);
  assert.ok(node.ports.has('pxvbr0'));
  await cni.del(pod);
  assert.ok(node.ports.has('pxvbr0'), 'still used by the second pod');
  await cni.del(pod2);
  assert.equal(node.ports.has('pxvbr0'), false);
  assert.ok(node.ports.has('br1'), 'br1 existed before: never deleted');
});

test('an aborted ADD rolls back and rejects with the abort reason', async (t) => {
  const ac = new AbortController();
  const { cni, calls } = await setup(t, {
    behaviour: (c) => {
      if (c.command === 'ADD' && c.ifname === 'eth0') ac.abort(new Error('VMI deleted'));
      return undefined;
    },
  });
  await assert.rejects(cni.add(pod, attachments, { signal: ac.signal }), /VMI deleted/);
  assert.deepEqual(trace(calls), ['ADD eth0 bridge', 'DEL eth0 bridge']);
});
