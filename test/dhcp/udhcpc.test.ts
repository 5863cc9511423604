// busybox udhcpc, a real DHCP client, against the server in a throwaway namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeNamespace, netnsUnavailable, type Namespace } from '../helpers/netns.ts';
import { scratchDir, startDhcpProcess, testConfig } from './server-process.ts';

const skip = await netnsUnavailable();

/** Runs udhcpc once in the client namespace; returns the variables its script saw on "bound". */
async function udhcpc(client: Namespace, script: string): Promise<Record<string, string>> {
  const { stdout } = await client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-t', '5', '-T', '2', '-i', 'eth0', '-s', script], { timeoutMs: 60_000 });
  const bound = stdout.split('\n').find((l) => l.startsWith('EVENT=bound '));
  assert.ok(bound, `expected udhcpc to report "bound", found:\n${stdout}`);
  return Object.fromEntries(bound.split(' ').map((kv) => kv.split('=') as [string, string]));
}

async function setup(t: Parameters<typeof createNodeNamespace>[0]) {
  const dir = await scratchDir(t);
  const root = join(dir, 'root');
  const stateDir = join(dir, 'state');
  await mkdir(root);
  const script = join(dir, 'udhcpc.sh');
  await writeFile(script, '#!/bin/sh\necho "EVENT=$1 ip=$ip mask=$mask subnet=$subnet serverid=$serverid lease=$lease router=$router"\n');
  await chmod(script, 0o755);
  const ns = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  return { root, stateDir, script, ns };
}

test('udhcpc gets an address from the range', { skip }, async (t) => {
  const { root, stateDir, script, ns } = await setup(t);
  const server = await startDhcpProcess(ns, testConfig(root, { router: '192.168.100.1' }), stateDir);
  t.after(() => server.stop());
  const client = await ns.addClient({ mac: '02:00:00:00:10:01' });
  const env = await udhcpc(client, script);
  const last = Number(env.ip?.split('.')[3]);
  assert.match(env.ip ?? '', /^192\.168\.100\.\d+$/);
  assert.ok(last >= 10 && last <= 250, `expected an address in .10-.250, found ${env.ip}`);
  assert.equal(env.serverid, '192.168.100.1');
  assert.equal(env.lease, '3600');
  assert.equal(env.router, '192.168.100.1');
  assert.ok(env.mask === '24' || env.subnet === '255.255.255.0', `expected a /24 mask, found mask=${env.mask} subnet=${env.subnet}`);
  const file = await server.leaseFile();
  assert.deepEqual(file.leases.map((l) => [l.ip, l.mac, l.state]), [[env.ip, '02:00:00:00:10:01', 'bound']]);
});

test('a restarted server gives the same MAC the same address and a new MAC another', { skip }, async (t) => {
  const { root, stateDir, script, ns } = await setup(t);
  const config = testConfig(root);
  const first = await startDhcpProcess(ns, config, stateDir);
  const client = await ns.addClient({ mac: '02:00:00:00:20:01' });
  const before = await udhcpc(client, script);
  await first.stop();

  const second = await startDhcpProcess(ns, config, stateDir);
  t.after(() => second.stop());
  const again = await udhcpc(client, script);
  assert.equal(again.ip, before.ip);
  const other = await ns.addClient({ mac: '02:00:00:00:20:02' });
  const otherEnv = await udhcpc(other, script);
  assert.notEqual(otherEnv.ip, before.ip);
  assert.match(otherEnv.ip ?? '', /^192\.168\.100\.\d+$/);
  const ips = (await second.leaseFile()).leases.map((l) => l.ip).sort();
  assert.deepEqual(ips, [before.ip, otherEnv.ip].sort());
});

test('does not answer a client on another interface of the same host', { skip }, async (t) => {
  const { root, stateDir, script, ns } = await setup(t);
  const server = await startDhcpProcess(ns, testConfig(root), stateDir);
  t.after(() => server.stop());
  const before = new Set((await ns.exec('ip', ['-o', 'link', 'show', 'master', 'br0'])).stdout.split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0]));
  const client = await ns.addClient({ mac: '02:00:00:00:30:01' });
  const links = (await ns.exec('ip', ['-o', 'link', 'show', 'master', 'br0'])).stdout.split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0]);
  const hostEnd = links.find((l) => l && !before.has(l));
  assert.ok(hostEnd, 'expected the client veth on br0');
  // Take the client's veth off the bridge: its broadcasts now reach the host on another interface.
  await ns.exec('ip', ['link', 'set', hostEnd, 'nomaster']);
  await ns.exec('ip', ['addr', 'add', '10.77.0.1/24', 'dev', hostEnd]);
  await assert.rejects(client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-t', '2', '-T', '1', '-i', 'eth0', '-s', script], { timeoutMs: 30_000 }));
  assert.equal(server.lines.filter((l) => l.proto === 'dhcp' && l.mac === '02:00:00:00:30:01').length, 0, 'the server saw the foreign client');
  // Back on the bridge, the same client is served.
  await ns.exec('ip', ['link', 'set', hostEnd, 'master', 'br0']);
  assert.match((await udhcpc(client, script)).ip ?? '', /^192\.168\.100\.\d+$/);
});
