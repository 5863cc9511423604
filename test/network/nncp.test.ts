// NodeNetworkConfigurationPolicies end to end: `pxevirt up` runs inside a throwaway node
// namespace (its own loopback API, a gateway client on br0 and a default route through it) and
// real kubectl drives it. A bridge with a veth port applies (Available); a missing port, a
// change that cuts the node off from its gateway and a VLAN setting on a kernel without
// vlan_filtering are rolled back (Degraded, the reason in the enactment); deleting a policy
// leaves the host alone; `state: absent` removes the bridge. Nothing runs in the machine's namespace.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { kubectlMissing, startDaemonProcess, type DaemonProcess } from '../api/daemon-process.ts';
import { createNodeNamespace, ip, netnsUnavailable, type NodeNamespace } from '../helpers/netns.ts';

const skip = kubectlMissing() ?? (await netnsUnavailable());

interface IpLink {
  ifname: string;
  master?: string;
  flags: string[];
}

async function links(ns: NodeNamespace): Promise<Map<string, IpLink>> {
  const list = JSON.parse(await ip('-n', ns.name, '-j', 'link', 'show')) as IpLink[];
  return new Map(list.map((l) => [l.ifname, l]));
}

function policy(name: string, interfaces: unknown[]): string {
  return JSON.stringify({
    apiVersion: 'nmstate.io/v1',
    kind: 'NodeNetworkConfigurationPolicy',
    metadata: { name },
    spec: { nodeSelector: { 'kubernetes.io/hostname': 'node01' }, desiredState: { interfaces } },
  });
}

const bridge = (name: string, ports: unknown[]) => ({ name, type: 'linux-bridge', state: 'up', ipv4: { enabled: false }, bridge: { options: { stp: { enabled: false } }, port: ports } });

/** Whether this kernel lets a bridge filter VLANs (this machine's does not). */
async function kernelHasVlanFiltering(ns: NodeNamespace): Promise<boolean> {
  try {
    await ip('-n', ns.name, 'link', 'add', 'vlprobe0', 'type', 'bridge', 'vlan_filtering', '1');
    await ip('-n', ns.name, 'link', 'del', 'vlprobe0');
    return true;
  } catch {
    return false;
  }
}

test('NNCPs are applied in the node namespace, failures are rolled back and reported', { skip, timeout: 300_000 }, async (t) => {
  // The node: 10.77.0.2/24 on br0, a gateway client 10.77.0.1 behind br0's port vc0, a default route through it.
  const ns = await createNodeNamespace(t, { address: '10.77.0.2/24' });
  await ns.addClient({ address: '10.77.0.1/24' });
  await ip('-n', ns.name, 'route', 'add', 'default', 'via', '10.77.0.1');
  await ip('-n', ns.name, 'link', 'add', 'veth-a', 'type', 'veth', 'peer', 'name', 'veth-b');
  await ns.exec('ping', ['-c', '1', '-W', '2', '10.77.0.1']);
  const vlanFiltering = await kernelHasVlanFiltering(ns);

  const d: DaemonProcess = await startDaemonProcess(t, undefined, {
    controllers: true,
    netns: ns.name,
    args: ['--node-name', 'node01', '--netns-prefix', `pxnn${randomBytes(2).toString('hex')}-`, '--pxe-netns-prefix', `pxns${randomBytes(2).toString('hex')}-`],
  });
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await d.kubectl(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const condition = async (kind: string, name: string, type: string, field: 'status' | 'reason' | 'message') =>
    (await d.kubectl(['get', kind, name, '-o', `jsonpath={.status.conditions[?(@.type=="${type}")].${field}}`])).stdout;

  await t.test('a bridge with a veth port applies and reports Available', async () => {
    await kubectl(['create', '-f', '-'], policy('br1-policy', [bridge('br1', [{ name: 'veth-a' }])]));
    await kubectl(['wait', 'nncp/br1-policy', '--for=condition=Available', '--timeout=120s']);
    assert.equal(await condition('nncp', 'br1-policy', 'Available', 'message'), '1/1 nodes successfully configured');
    assert.equal(await condition('nncp', 'br1-policy', 'Available', 'reason'), 'SuccessfullyConfigured');
    assert.equal(await condition('nncp', 'br1-policy', 'Degraded', 'status'), 'False');
    assert.match(await kubectl(['get', 'nncp']), /br1-policy\s+Available\s+SuccessfullyConfigured/);
    assert.equal(await condition('nnce', 'node01.br1-policy', 'Available', 'status'), 'True');
    assert.match(await kubectl(['get', 'nnce']), /node01\.br1-policy\s+Available\s/);
    const l = await links(ns);
    assert.ok(l.get('br1')?.flags.includes('UP'), 'br1 exists and is up');
    assert.equal(l.get('veth-a')?.master, 'br1');
  });

  await t.test('a port that does not exist is rolled back and reported Degraded', async () => {
    await kubectl(['create', '-f', '-'], policy('missing-port', [bridge('br2', [{ name: 'veth-b' }, { name: 'nope0' }])]));
    await kubectl(['wait', 'nncp/missing-port', '--for=condition=Degraded', '--timeout=120s']);
    assert.equal(await condition('nncp', 'missing-port', 'Degraded', 'message'), '1/1 nodes failed to configure');
    assert.equal(await condition('nncp', 'missing-port', 'Degraded', 'reason'), 'FailedToConfigure');
    const failing = await condition('nnce', 'node01.missing-port', 'Failing', 'message');
    assert.match(failing, /`ip link set dev nope0 master br2` failed: Cannot find device "nope0"; rolled back to the previous state/);
    const l = await links(ns);
    assert.equal(l.has('br2'), false, 'br2 is not left behind');
    assert.equal(l.get('veth-b')?.master, undefined, 'veth-b is a port of nothing again');
    assert.equal(l.get('veth-b')?.flags.includes('UP'), false, 'veth-b is down again');
  });

  await t.test('a change that cuts the node off from its gateway is rolled back', async () => {
    // vc0 is br0's port towards the gateway; moving it to a new bridge leaves 10.77.0.1 unreachable.
    await kubectl(['create', '-f', '-'], policy('steal-uplink', [bridge('br3', [{ name: 'vc0' }])]));
    await kubectl(['wait', 'nncp/steal-uplink', '--for=condition=Degraded', '--timeout=120s']);
    assert.match(await condition('nnce', 'node01.steal-uplink', 'Failing', 'message'), /connectivity check failed after applying: the default gateway 10\.77\.0\.1 answered ping before and does not now; rolled back/);
    const l = await links(ns);
    assert.equal(l.has('br3'), false);
    assert.equal(l.get('vc0')?.master, 'br0', 'the uplink is back on br0');
    await ns.exec('ping', ['-c', '1', '-W', '2', '10.77.0.1']);
  });

  await t.test('a VLAN setting reports that the kernel lacks bridge VLAN filtering', { skip: vlanFiltering ? 'this kernel has bridge vlan_filtering' : false }, async () => {
    await kubectl(['create', '-f', '-'], policy('vlan-port', [bridge('br4', [{ name: 'veth-b', vlan: { mode: 'access', tag: 10 } }])]));
    await kubectl(['wait', 'nncp/vlan-port', '--for=condition=Degraded', '--timeout=120s']);
    assert.match(await condition('nnce', 'node01.vlan-port', 'Failing', 'message'), /^this kernel lacks bridge VLAN filtering: `ip link set dev br4 type bridge vlan_filtering 1` failed with "RTNETLINK answers: Operation not supported"; rolled back/);
    const l = await links(ns);
    assert.equal(l.has('br4'), false);
    assert.equal(l.get('veth-b')?.master, undefined);
  });

  await t.test('deleting a policy keeps the host as configured; state absent removes the bridge', async () => {
    await kubectl(['delete', 'nncp', 'br1-policy']);
    await kubectl(['wait', 'nnce/node01.br1-policy', '--for=delete', '--timeout=60s']);
    assert.equal((await links(ns)).get('veth-a')?.master, 'br1', 'the bridge stays after its policy is deleted');
    await kubectl(['create', '-f', '-'], policy('br1-absent', [{ name: 'br1', type: 'linux-bridge', state: 'absent' }]));
    await kubectl(['wait', 'nncp/br1-absent', '--for=condition=Available', '--timeout=120s']);
    const l = await links(ns);
    assert.equal(l.has('br1'), false);
    assert.equal(l.get('veth-a')?.master, undefined);
  });
});
