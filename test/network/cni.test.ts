// The CNI manager with Debian's real plugins (/usr/lib/cni), run inside a throwaway node
// namespace: a runner process (cni-runner.ts) started with `ip netns exec NODE` holds the
// manager, so bridges and host veths land in the node and never in the machine's own
// namespace. Pod namespaces are made by the test (`ip netns add`) and removed in t.after.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import type { CniAttachment, CniAttachmentResult, CniPod } from '../../src/network/cni/types.ts';
import { createNodeNamespace, ip, netnsUnavailable, type NodeNamespace } from '../helpers/netns.ts';

const PLUGIN_DIR = '/usr/lib/cni';
const skip = (await netnsUnavailable()) ?? (await readdir(PLUGIN_DIR).then((l) => (l.includes('bridge') && l.includes('tuning') ? undefined : `needs the CNI plugins in ${PLUGIN_DIR}`), () => `needs containernetworking-plugins (${PLUGIN_DIR})`));

const ROOT = resolve(import.meta.dirname, '../..');
const RUNNER = join(import.meta.dirname, 'cni-runner.ts');
const SEED_NAD = (parse(await readFile('/work/shared/seed-scenario/pxe-net-conf.yaml', 'utf8').catch(() => fallbackSeed())) as { spec: { config: string } }).spec.config;
const SEED_MAC = 'de:00:00:00:00:de';

// The seed's NAD, should the shared folder be absent where the tests run.
function fallbackSeed(): string {
  const config = { cniVersion: '0.3.1', name: 'pxe-net-conf', plugins: [{ type: 'cnv-bridge', bridge: 'br1', ipam: {} }, { type: 'cnv-tuning' }] };
  return `spec:\n  config: '${JSON.stringify(config)}'\n`;
}

interface RunnerError {
  name: string;
  message: string;
  [k: string]: unknown;
}
type Reply = { ok: true; value: unknown } | { ok: false; error: RunnerError };

interface Runner {
  request(op: string, body?: Record<string, unknown>): Promise<Reply>;
  stop(): Promise<void>;
}

/** Starts the runner inside the node namespace; it is ended at cleanup (the helper kills what is left). */
async function startRunner(node: NodeNamespace, config: { cacheDir: string; dataDir: string; pluginDirs?: string[]; nads?: Record<string, string> }): Promise<Runner> {
  const child: ChildProcess = node.spawn('node', ['--import', 'tsx', RUNNER, JSON.stringify({ nodeNetns: node.name, ...config })], { cwd: ROOT });
  const pending = new Map<number, (r: Reply) => void>();
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  void exited.then(() => {
    for (const [, settle] of pending) settle({ ok: false, error: { name: 'RunnerExited', message: `cni-runner exited: ${stderr.trim()}` } });
    pending.clear();
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const reply = JSON.parse(line) as Reply & { id: number };
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  let ids = 0;
  return {
    request(op, body = {}) {
      const id = ++ids;
      return new Promise((settle) => {
        pending.set(id, settle);
        child.stdin?.write(`${JSON.stringify({ id, op, ...body })}\n`);
      });
    },
    async stop() {
      child.stdin?.end();
      await exited;
    },
  };
}

async function setup(t: TestContext, options: { pluginDirs?: string[]; nads?: Record<string, string> } = {}) {
  const node = await createNodeNamespace(t);
  const dir = await mkdtemp(join(tmpdir(), 'pxv-cni-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = { cacheDir: join(dir, 'cache'), dataDir: dir, ...options, nads: options.nads ?? { 'default/pxe-net-conf': SEED_NAD } };
  const before = await nodeLinks(node);
  const runner = await startRunner(node, config);
  t.after(() => runner.stop());
  return { node, dir, config, before, runner };
}

/** A pod: its own netns, made here (from the machine's mount namespace so every process sees it). */
async function makePod(t: TestContext, name = 'vm1'): Promise<CniPod> {
  const id = randomBytes(4).toString('hex');
  const netns = `pxvp-${process.pid.toString(36)}-${id}`;
  t.after(() => ip('netns', 'del', netns).catch(() => undefined));
  await ip('netns', 'add', netns);
  await ip('-n', netns, 'link', 'set', 'lo', 'up');
  return { namespace: 'default', name, uid: `${id}-0000-4000-8000-000000000000`, netns, containerId: `pxevirt-${id}` };
}

const links = async (args: string[]): Promise<Array<{ ifname: string; address: string; master?: string }>> => JSON.parse((await ip('-j', ...args)) || '[]');
const nodeLinks = async (node: NodeNamespace) => (await links(['-n', node.name, 'link', 'show'])).map((l) => l.ifname).sort();
const podLinks = async (pod: CniPod) => (await links(['-n', pod.netns, 'link', 'show'])).map((l) => l.ifname).sort();
/** Addresses host-local still holds under the data dir (files named by IP). */
async function ipamAllocations(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'cni', 'networks');
  const out: string[] = [];
  for (const net of await readdir(root).catch(() => [] as string[])) {
    for (const f of await readdir(join(root, net))) if (/^\d+\.\d+\.\d+\.\d+$/.test(f)) out.push(`${net}/${f}`);
  }
  return out;
}

/** The masquerade chains the bridge plugin's ipMasq made in the node (CNI-<hash>). */
const masqChains = async (node: NodeNamespace) => (await node.exec('iptables', ['-t', 'nat', '-S'])).stdout.split('\n').filter((l) => /^-N CNI-/.test(l));

const seedAttachments = (mac = SEED_MAC): CniAttachment[] => [
  { network: 'default', ifname: 'eth0' },
  { network: 'pxe-net', ifname: 'net1', networkName: 'pxe-net-conf', mac },
];

function added(reply: Reply): { results: CniAttachmentResult[]; annotation: string } {
  if (!reply.ok) assert.fail(`ADD failed: ${reply.error.name}: ${reply.error.message}`);
  return reply.value as { results: CniAttachmentResult[]; annotation: string };
}

function failed(reply: Reply): RunnerError {
  if (reply.ok) assert.fail('expected the request to fail');
  return reply.error;
}

test('the seed NAD gives net1 the requested MAC on br1, and the pod network gives eth0 an address', { skip }, async (t) => {
  const { node, runner, before, config } = await setup(t);
  const pod = await makePod(t);
  const { results, annotation } = added(await runner.request('add', { pod, attachments: seedAttachments() }));

  const [net1] = await links(['-n', pod.netns, 'link', 'show', 'net1']);
  assert.equal(net1?.address, SEED_MAC, 'the pod interface carries the requested MAC');
  assert.equal(results[1]?.mac, SEED_MAC);
  const status = JSON.parse(annotation) as Array<{ name: string; interface: string; mac: string; ips?: string[]; default?: boolean }>;
  assert.deepEqual(status.map((s) => [s.name, s.interface, s.mac, s.default ?? false]), [
    ['pxevirt-pod-network', 'eth0', results[0]?.mac, true],
    ['default/pxe-net-conf', 'net1', SEED_MAC, false],
  ]);
  assert.equal(status[1]?.ips, undefined, 'empty ipam: no address on net1');

  const onBr1 = await links(['-n', node.name, 'link', 'show', 'master', 'br1']);
  assert.equal(onBr1.length, 1, 'br1 exists in the node namespace with the pod veth as its port');

  const [eth0] = await links(['-n', pod.netns, 'link', 'show', 'eth0']);
  assert.equal(eth0?.address, results[0]?.mac);
  const addr = JSON.parse(await ip('-j', '-n', pod.netns, '-4', 'addr', 'show', 'eth0')) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>;
  const eth0Addr = addr[0]?.addr_info[0];
  assert.match(`${eth0Addr?.local}/${eth0Addr?.prefixlen}`, /^10\.244\.0\.\d+\/24$/);
  assert.deepEqual(results[0]?.ips, [`${eth0Addr?.local}/${eth0Addr?.prefixlen}`]);
  assert.match(await ip('-n', pod.netns, 'route', 'show', 'default'), /default via 10\.244\.0\.1 dev eth0/);
  // The node bridge answers as the pods' gateway (traffic stays inside the test's namespaces).
  await ip('netns', 'exec', pod.netns, 'ping', '-c', '1', '-W', '5', '10.244.0.1');
  assert.equal((await masqChains(node)).length, 1, 'ipMasq made one chain for the pod');

  const del = await runner.request('del', { pod });
  assert.ok(del.ok, del.ok ? '' : del.error.message);
  assert.deepEqual(await podLinks(pod), ['lo']);
  assert.deepEqual(await nodeLinks(node), before, 'veths and the bridges CNI made are gone');
  assert.deepEqual(await ipamAllocations(config.dataDir), []);
  assert.deepEqual(await masqChains(node), []);
});

test('a missing plugin fails the ADD naming it and the dirs searched, leaving nothing', { skip }, async (t) => {
  // A plugin dir holding every Debian plugin but tuning.
  const bin = await mkdtemp(join(tmpdir(), 'pxv-cni-bin-'));
  t.after(() => rm(bin, { recursive: true, force: true }));
  for (const p of await readdir(PLUGIN_DIR)) if (p !== 'tuning') await symlink(join(PLUGIN_DIR, p), join(bin, p));
  const { node, runner, before } = await setup(t, { pluginDirs: [bin] });
  const pod = await makePod(t);
  const err = failed(await runner.request('add', { pod, attachments: seedAttachments() }));
  assert.equal(err.name, 'PluginNotFoundError');
  assert.equal(err.message, `network pxe-net (default/pxe-net-conf): CNI plugin cnv-tuning (binary tuning) not found in ${bin}`);
  assert.deepEqual(await nodeLinks(node), before);
  assert.deepEqual(await podLinks(pod), ['lo']);
});

test('a NAD config that is not JSON fails naming the NAD and what was found, leaving nothing', { skip }, async (t) => {
  const { node, runner, before } = await setup(t, { nads: { 'default/pxe-net-conf': '{"cniVersion": "0.3.1", "plugins": [' } });
  const pod = await makePod(t);
  const err = failed(await runner.request('add', { pod, attachments: seedAttachments() }));
  assert.equal(err.name, 'CniConfigError');
  assert.match(err.message, /^network pxe-net \(default\/pxe-net-conf\): spec\.config: expected a CNI config or conflist as JSON, found invalid JSON/);
  assert.deepEqual(await nodeLinks(node), before);
  assert.deepEqual(await podLinks(pod), ['lo']);
});

test('a plugin refusing its config mid-chain rolls back every network added, with the plugin message', { skip }, async (t) => {
  // bridge succeeds (br1 + veth), then tuning refuses a sysctl that does not exist.
  const bad = JSON.stringify({ cniVersion: '0.3.1', name: 'pxe-net-conf', plugins: [{ type: 'cnv-bridge', bridge: 'br1', ipam: {} }, { type: 'cnv-tuning', sysctl: { 'net.ipv4.conf.net1.no_such_knob': '1' } }] });
  const { node, runner, before, config } = await setup(t, { nads: { 'default/pxe-net-conf': bad } });
  const pod = await makePod(t);
  const err = failed(await runner.request('add', { pod, attachments: seedAttachments() }));
  assert.equal(err.name, 'CniPluginError');
  assert.equal(err.plugin, 'cnv-tuning');
  assert.equal(err.command, 'ADD');
  assert.match(err.message, /^network pxe-net \(default\/pxe-net-conf\): plugin cnv-tuning \(tuning\) ADD failed: .*no_such_knob/);
  assert.deepEqual(await nodeLinks(node), before, 'eth0 and net1 veths, br1 and the pod bridge are gone');
  assert.deepEqual(await podLinks(pod), ['lo']);
  assert.deepEqual(await ipamAllocations(config.dataDir), [], 'the eth0 address was released');
  assert.deepEqual(await masqChains(node), []);
  assert.deepEqual(await readdir(join(config.cacheDir, 'pods')).catch(() => []), []);
});

test('a NAD deleted before the ADD fails as Kubernetes names it, leaving nothing', { skip }, async (t) => {
  const { node, runner, before } = await setup(t);
  assert.ok((await runner.request('deleteNad', { namespace: 'default', name: 'pxe-net-conf' })).ok);
  const pod = await makePod(t);
  const err = failed(await runner.request('add', { pod, attachments: seedAttachments() }));
  assert.equal(err.name, 'NadNotFoundError');
  assert.equal(err.message, 'network pxe-net: network-attachment-definitions.k8s.cni.cncf.io "pxe-net-conf" not found in namespace default');
  assert.deepEqual(await nodeLinks(node), before);
  assert.deepEqual(await podLinks(pod), ['lo']);
});

test('DEL after the NAD is deleted and the daemon restarted removes the veths from the cache', { skip }, async (t) => {
  const { node, runner, before, config } = await setup(t);
  const pod = await makePod(t);
  added(await runner.request('add', { pod, attachments: seedAttachments() }));
  assert.ok((await runner.request('deleteNad', { namespace: 'default', name: 'pxe-net-conf' })).ok);
  await runner.stop();
  const restarted = await startRunner(node, { ...config, nads: {} });
  t.after(() => restarted.stop());
  assert.equal((await nodeLinks(node)).length, before.length + 4, 'two bridges and two veths before DEL');
  const del = await restarted.request('del', { pod });
  assert.ok(del.ok, del.ok ? '' : del.error.message);
  assert.deepEqual(await podLinks(pod), ['lo']);
  assert.deepEqual(await nodeLinks(node), before);
  assert.deepEqual(await ipamAllocations(config.dataDir), []);
  assert.deepEqual(await masqChains(node), []);
  const again = await restarted.request('del', { pod });
  assert.ok(again.ok, 'a second DEL finds nothing to do');
});

test('ten pods added and deleted leave the node with the interfaces it started with', { skip }, async (t) => {
  const { node, runner, before, config } = await setup(t);
  const pods: CniPod[] = [];
  for (let i = 0; i < 10; i++) pods.push(await makePod(t, `vm${i}`));
  await mkdir(config.cacheDir, { recursive: true });
  const macs = pods.map((_, i) => `de:00:00:00:01:${i.toString(16).padStart(2, '0')}`);
  const addresses = new Set<string>();
  for (const [i, pod] of pods.entries()) {
    const { results } = added(await runner.request('add', { pod, attachments: seedAttachments(macs[i]) }));
    assert.equal(results[1]?.mac, macs[i]);
    addresses.add(results[0]?.ips[0] ?? '');
  }
  assert.equal(addresses.size, 10, 'ten distinct pod addresses');
  assert.equal((await nodeLinks(node)).length, before.length + 2 + 20, 'two bridges and twenty veths');
  assert.equal((await ipamAllocations(config.dataDir)).length, 10);
  assert.equal((await masqChains(node)).length, 10);
  for (const pod of pods) {
    const del = await runner.request('del', { pod });
    assert.ok(del.ok, del.ok ? '' : del.error.message);
  }
  assert.deepEqual(await nodeLinks(node), before);
  assert.deepEqual(await ipamAllocations(config.dataDir), []);
  assert.deepEqual(await masqChains(node), []);
  for (const pod of pods) assert.deepEqual(await podLinks(pod), ['lo']);
});
