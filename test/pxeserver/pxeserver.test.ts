// A PXEServer end to end: `pxevirt up --node-netns` on a throwaway node namespace, the seed's NAD
// (cnv-bridge on br1, no IPAM) and a PXEServer on it created with the real kubectl. The
// server's pod gets its own netns attached to br1 with the spec's address; a DHCP client
// (busybox udhcpc) on br1 gets an address; TFTP and HTTP downloads join its timeline; status
// shows Ready, the lease and the timeline; an image given by URL is downloaded and served.
// The server outlives a kill -9 of the daemon and is adopted (not started twice); a killed
// server is reported and restarted, and so is one whose spec changed; a zero-length leases.json
// is moved aside and reported; a daemon on another database leaves the server alone; delete
// leaves nothing in the node namespace. The server runs as pxevirt-pxe.
// PXEServers on a missing NAD or one whose plugin fails report why.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildTestGuest, testGuestUnavailable } from '../../scripts/test-guest.ts';
import { kubectlMissing } from '../api/daemon-process.ts';
import { createNodeNamespace, ip, namespacesWithPrefix, netnsUnavailable, podNamespaces, type Namespace, type NodeNamespace } from '../helpers/netns.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { imageEntry, pxevirtBin, seedNadPxeServer, stageImage } from '../helpers/pxe.ts';
import { startNodeDaemon, type NodeDaemon } from './node-daemon.ts';
import { DEFAULT_PXE_USER, resolveRunAsUser } from '../../src/runtime/run-as.ts';

const skip = kubectlMissing() ?? (await netnsUnavailable()) ?? (await testGuestUnavailable());
const SEED_NAD = '/work/shared/seed-scenario/pxe-net-conf.yaml';

type Json = Record<string, any>;

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}${last ? `; last error: ${String(last)}` : ''}`);
    await sleep(500);
  }
}

async function getJson(d: NodeDaemon, ...args: string[]): Promise<Json> {
  const r = await d.kubectl(['get', ...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`kubectl get ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Json;
}

const readyOf = (o: Json): Json | undefined => (o.status?.conditions ?? []).find((c: Json) => c.type === 'Ready');

/** Runs udhcpc once in the client namespace; returns the variables its script saw on "bound". */
async function udhcpc(client: Namespace, script: string): Promise<Record<string, string>> {
  const { stdout } = await client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-t', '10', '-T', '3', '-i', 'eth0', '-s', script], { timeoutMs: 120_000 });
  const bound = stdout.split('\n').find((l) => l.startsWith('EVENT=bound '));
  assert.ok(bound, `expected udhcpc to report "bound", found:\n${stdout}`);
  return Object.fromEntries(bound.split(' ').map((kv) => kv.split('=') as [string, string]));
}

/** Link names in the node namespace, but for the test's own client veths (vc0, vc1 …). */
async function nodeLinks(node: NodeNamespace): Promise<string[]> {
  const out = await ip('-n', node.name, '-o', 'link', 'show');
  return out
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((n) => n !== '' && !/^vc\d+$/.test(n))
    .sort();
}

/** Pids of live processes whose command line mentions `text` (our run dir). */
async function processesWith(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    // Not the `sh` wrapper that waits for it (its argv names the same files).
    if (argv[0] !== 'sh' && argv.some((a) => a.endsWith('/serve.json') && a.includes(text)) && argv.includes('serve')) pids.push(Number(entry));
  }
  return pids;
}

async function shortDataDir(t: TestContext): Promise<string> {
  // Short: the status socket path under it must fit a unix socket address.
  const dir = await mkdtemp(join(tmpdir(), 'pxs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a PXEServer on the seed NAD serves DHCP, TFTP and HTTP, reports them, survives a daemon kill -9, is restarted when killed and leaves nothing when deleted', { skip, timeout: 900_000 }, async (t) => {
  const node = await createNodeNamespace(t, { bridge: 'br1' });
  const dataDir = await shortDataDir(t);
  const prefix = `pxst${randomBytes(2).toString('hex')}-`;
  t.after(async () => {
    // Whatever the test left (it fails before delete): our prefixed namespaces only.
    for (const ns of await namespacesWithPrefix(prefix)) {
      for (const pid of (await ip('netns', 'pids', ns).catch(() => '')).split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await ip('netns', 'del', ns).catch(() => undefined);
    }
  });

  const guest = await buildTestGuest({ name: 'pxeserver' });
  await stageImage(join(dataDir, 'pxe', 'images'), 'tiny', guest);
  // An image given by URL, from a server on this machine's loopback (where the daemon runs).
  const netkernel = randomBytes(200_000);
  const web = createServer((req, res) => (req.url === '/netkernel' ? res.end(netkernel) : res.writeHead(404).end()));
  await new Promise<void>((done) => web.listen(0, '127.0.0.1', done));
  t.after(() => new Promise<void>((done) => web.close(() => done())));
  const webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  const script = join(dataDir, 'udhcpc.sh');
  await writeFile(script, '#!/bin/sh\necho "EVENT=$1 ip=$ip mask=$mask serverid=$serverid lease=$lease"\n', { mode: 0o755 });

  const linksBefore = await nodeLinks(node);
  // Status read every 250 ms (not 3 s): "nothing is written when nothing changed" is shown over many polls in little time.
  let daemon = await startNodeDaemon(t, node.name, dataDir, ['--pxe-netns-prefix', prefix, '--netns-prefix', `${prefix}v`, '--pxe-status-poll-ms', '250']);

  const nad = await daemon.kubectl(['apply', '-f', SEED_NAD]);
  assert.equal(nad.code, 0, nad.stderr);
  const manifest = seedNadPxeServer('pxe1', {
    dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.150', leaseSeconds: 600 },
    images: [imageEntry('tiny', 'console=ttyS0 quiet no_timer_check done={{doneURL}}'), { name: 'net', kernel: `${webUrl}/netkernel`, initrd: [], cmdline: '' }],
    hosts: [{ selector: { mac: 'de:00:00:00:00:de' }, image: 'tiny', once: true }],
    defaultImage: 'tiny',
  });
  const created = await daemon.kubectl(['create', '-f', '-'], JSON.stringify(manifest));
  assert.equal(created.code, 0, created.stderr);

  let seen: Json | undefined;
  const ready = await until('PXEServer pxe1 Ready', async () => {
    seen = await getJson(daemon, 'pxeserver', 'pxe1');
    return readyOf(seen)?.status === 'True' ? seen : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message}; last status: ${JSON.stringify(seen?.status)}; daemon log tail:\n${daemon.log().split('\n').slice(-30).join('\n')}`);
  });
  assert.equal(readyOf(ready)?.reason, 'Serving');
  assert.equal(ready.status.phase, 'Running');
  assert.equal(ready.status.address, '192.168.100.1/24');
  assert.equal(ready.status.interface, 'net1');
  assert.match(ready.status.netns, new RegExp(`^${prefix}[0-9a-f]{8}$`));
  assert.ok(ready.metadata.finalizers.includes('pxe.pxevirt.io/pxeserver-cleanup'));
  const netns: string = ready.status.netns;
  assert.deepEqual(await podNamespaces(prefix), [netns]);
  // The pod's net1 is a veth whose peer is a port of br1 in the node namespace, with the address.
  assert.match(await ip('-n', netns, '-o', 'addr', 'show', 'dev', 'net1'), /inet 192\.168\.100\.1\/24/);
  assert.equal((await ip('-n', netns, 'link', 'show', 'dev', 'net1')).includes(ready.status.mac), true, 'status.mac is net1\'s MAC');
  const uid: string = ready.metadata.uid;
  const runDir = join(dataDir, 'run', 'pxeserver', uid);
  const servers = await processesWith(runDir);
  assert.equal(servers.length, 1, `expected one pxe serve process for the run dir, found ${servers.join(', ')}`);
  const pid = servers[0] as number;
  assert.equal(Number(await readFile(join(runDir, 'pxe-serve.pid'), 'utf8')), pid);
  // The server dropped to the node's PXE user; the data dir above its root and state stays closed to it.
  const pxeUser = await resolveRunAsUser(DEFAULT_PXE_USER, 'pxeUser');
  assert.match(await readFile(`/proc/${pid}/status`, 'utf8'), new RegExp(`^Uid:\\t${pxeUser.uid}\\t${pxeUser.uid}\\t${pxeUser.uid}\\t${pxeUser.uid}$`, 'm'), 'pxe serve runs as pxevirt-pxe');
  assert.equal((await stat(dataDir)).mode & 0o777, 0o700, 'the data dir stays 0700');
  assert.equal((await stat(join(runDir, 'state'))).uid, pxeUser.uid, 'the state dir is the user\'s');

  // A DHCP client on br1, then TFTP and HTTP downloads from the same MAC.
  const mac = 'de:00:00:00:00:de';
  const client = await node.addClient({ mac });
  const lease = await udhcpc(client, script);
  assert.match(lease.ip ?? '', /^192\.168\.100\.(1[0-4]\d|150)$/);
  assert.equal(lease.serverid, '192.168.100.1');
  await client.exec('ip', ['addr', 'add', `${lease.ip}/24`, 'dev', 'eth0']);
  await client.exec('busybox', ['tftp', '-g', '-r', 'tiny/vmlinuz', '-l', '/dev/null', '192.168.100.1'], { timeoutMs: 120_000 });
  const got = await client.exec('sh', ['-c', 'busybox wget -q -O - http://192.168.100.1:8080/files/net/k/netkernel | wc -c'], { timeoutMs: 120_000 });
  assert.equal(Number(got.stdout.trim()), 200_000, 'the URL image is served from its download');

  const reported = await until('lease and timeline in status', async () => {
    const o = await getJson(daemon, 'pxeserver', 'pxe1');
    const boot = (o.status.boots ?? []).find((b: Json) => b.mac === mac);
    const done = (boot?.events ?? []).filter((e: Json) => e.event === 'done').map((e: Json) => e.proto);
    return (o.status.leases ?? []).some((l: Json) => l.mac === mac) && done.includes('tftp') && done.includes('http') ? o : undefined;
  });
  const leaseInStatus = reported.status.leases.find((l: Json) => l.mac === mac);
  assert.equal(leaseInStatus.ip, lease.ip);
  assert.equal(leaseInStatus.state, 'bound');
  assert.ok(Date.parse(leaseInStatus.expiresAt) > Date.now());
  const boot = reported.status.boots.find((b: Json) => b.mac === mac);
  assert.equal(boot.ip, lease.ip);
  const protos = boot.events.map((e: Json) => e.proto);
  assert.ok(protos.indexOf('dhcp') < protos.indexOf('tftp') && protos.indexOf('tftp') < protos.lastIndexOf('http'), `expected DHCP → TFTP → HTTP, found ${protos.join(' ')}`);
  const tftpDone = boot.events.find((e: Json) => e.proto === 'tftp' && e.event === 'done');
  assert.equal(tftpDone.file, 'tiny/vmlinuz');
  assert.equal(tftpDone.size, (await stat(guest.kernel)).size);
  assert.equal(typeof tftpDone.ms, 'number');
  const httpDone = boot.events.find((e: Json) => e.proto === 'http' && e.event === 'done');
  assert.deepEqual([httpDone.file, httpDone.size, typeof httpDone.ms], ['net/k/netkernel', 200_000, 'number']);

  // Install state through the API: the host reports done, the PXEServer lists it Provisioned, its
  // next boot is the local-boot answer (on the timeline), `pxevirt pxe reprovision` sends it back.
  const bootUrl = 'http://192.168.100.1:8080/boot.ipxe?mac=de-00-00-00-00-de&arch=bios';
  const installScript = (await client.exec('busybox', ['wget', '-q', '-O', '-', bootUrl])).stdout;
  const doneUrl = /done=(http:\/\/192\.168\.100\.1:8080\/done\/\S+)/.exec(installScript)?.[1];
  assert.ok(doneUrl, `a doneURL in the script:\n${installScript}`);
  await client.exec('busybox', ['wget', '-q', '-O', '-', '--post-data=done', doneUrl]);
  assert.match((await client.exec('busybox', ['wget', '-q', '-O', '-', bootUrl])).stdout, /booting from the next device\nexit\n$/);
  await until('status.hosts Provisioned and the local-boot answer on the timeline', async () => {
    const o = await getJson(daemon, 'pxeserver', 'pxe1');
    const host = (o.status.hosts ?? []).find((h: Json) => h.mac === mac);
    const events = ((o.status.boots ?? []).find((b: Json) => b.mac === mac)?.events ?? []).map((e: Json) => e.event);
    return host?.state === 'Provisioned' && host.image === 'tiny' && events.includes('local-boot') ? o : undefined;
  });
  const pxevirt = (args: string[]) => promisify(execFile)(process.execPath, [pxevirtBin, ...args, '--kubeconfig', daemon.kubeconfig]);
  assert.match((await pxevirt(['describe', 'pxeserver', 'pxe1'])).stdout, /Hosts:[\s\S]*Mac:\s+de:00:00:00:00:de[\s\S]*State:\s+Provisioned/);
  assert.match((await pxevirt(['pxe', 'reprovision', 'pxe1', mac])).stdout, /de:00:00:00:00:de will install again on its next boot/);
  await until('the host sent back to install', async () => {
    const o = await getJson(daemon, 'pxeserver', 'pxe1');
    return (o.status.hosts ?? []).some((h: Json) => h.mac === mac) ? undefined : o;
  });
  assert.match((await client.exec('busybox', ['wget', '-q', '-O', '-', bootUrl])).stdout, /# pxevirt: image tiny/);
  const reprovisioned = await daemon.kubectl(['get', 'events', '--field-selector', 'reason=Reprovision', '-o', 'json']);
  assert.match(reprovisioned.stdout, /de:00:00:00:00:de sent back to install/);

  // Status is written only when it changed: once settled (unchanged over four polls), it
  // stays unchanged over eight more.
  const quiet = await until('the status to settle', async () => {
    const before = await getJson(daemon, 'pxeserver', 'pxe1');
    await sleep(1000);
    const after = await getJson(daemon, 'pxeserver', 'pxe1');
    return after.metadata.resourceVersion === before.metadata.resourceVersion ? after : undefined;
  });
  await sleep(2000); // eight status polls at 250 ms
  assert.equal((await getJson(daemon, 'pxeserver', 'pxe1')).metadata.resourceVersion, quiet.metadata.resourceVersion);

  // kill -9 the daemon: the server keeps serving; a new daemon adopts it (same pid, one process).
  await daemon.kill9();
  assert.ok(existsSync(`/proc/${pid}`), 'pxe serve outlives the daemon');
  const second = await node.addClient({ mac: 'de:00:00:00:00:02' });
  const lease2 = await udhcpc(second, script);
  assert.notEqual(lease2.ip, lease.ip);
  daemon = await startNodeDaemon(t, node.name, dataDir, ['--pxe-netns-prefix', prefix, '--netns-prefix', `${prefix}v`]);
  const adopted = await until('the second lease in status after the restart', async () => {
    const o = await getJson(daemon, 'pxeserver', 'pxe1');
    return (o.status.leases ?? []).some((l: Json) => l.mac === 'de:00:00:00:00:02') ? o : undefined;
  });
  assert.equal(readyOf(adopted)?.status, 'True');
  assert.deepEqual(await processesWith(runDir), [pid], 'the adopted server is the same process, not a second one');
  const adoptedLine = daemon
    .log()
    .split('\n')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Json];
      } catch {
        return [];
      }
    })
    .find((l) => l.msg === 'adopted running PXE servers');
  assert.equal(adoptedLine?.servers, 1);

  // A PXEServer on a NAD that does not exist says so, in status and in an Event.
  const missing = { ...manifest, metadata: { name: 'pxe2', namespace: 'default' }, spec: { ...manifest.spec, network: 'no-such-net', images: [imageEntry('tiny')] } };
  assert.equal((await daemon.kubectl(['create', '-f', '-'], JSON.stringify(missing))).code, 0);
  const notFound = await until('pxe2 NetworkNotFound', async () => {
    const o = await getJson(daemon, 'pxeserver', 'pxe2');
    return readyOf(o)?.reason === 'NetworkNotFound' ? o : undefined;
  }, 60_000);
  assert.equal(readyOf(notFound)?.status, 'False');
  assert.match(readyOf(notFound)?.message, /NetworkAttachmentDefinition default\/no-such-net not found/);
  const events = await until('the NetworkNotFound Event', async () => {
    const list = await getJson(daemon, 'events');
    return list.items.find((e: Json) => e.involvedObject?.name === 'pxe2' && e.reason === 'NetworkNotFound');
  }, 60_000);
  assert.equal(events.type, 'Warning');

  // A plugin failure is reported with the plugin's words.
  const badNad = { apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name: 'bad-net', namespace: 'default' }, spec: { config: JSON.stringify({ cniVersion: '0.3.1', name: 'bad-net', type: 'bridge', bridge: 'pxsbad0', mtu: 50, ipam: {} }) } };
  const badCreated = await daemon.kubectl(['create', '-f', '-'], JSON.stringify(badNad));
  assert.equal(badCreated.code, 0, badCreated.stderr);
  const bad = { ...manifest, metadata: { name: 'pxe3', namespace: 'default' }, spec: { ...manifest.spec, network: 'bad-net', images: [imageEntry('tiny')] } };
  assert.equal((await daemon.kubectl(['create', '-f', '-'], JSON.stringify(bad))).code, 0);
  const attachFailed = await until('pxe3 NetworkAttachFailed', async () => {
    const o = await getJson(daemon, 'pxeserver', 'pxe3');
    return readyOf(o)?.reason === 'NetworkAttachFailed' ? o : undefined;
  }, 60_000);
  assert.match(readyOf(attachFailed)?.message, /plugin bridge ADD failed: failed to create bridge "pxsbad0": .*invalid argument/);

  // The server dying is reported (Ready=False, an Event with how it ended) and it is restarted.
  process.kill(pid, 'SIGKILL');
  const exitEvent = await until('the ServerExited Event', async () => {
    const list = await getJson(daemon, 'events');
    return list.items.find((e: Json) => e.involvedObject?.name === 'pxe1' && e.reason === 'ServerExited');
  }, 60_000);
  assert.equal(exitEvent.type, 'Warning');
  assert.match(exitEvent.message, /pxe-serve was killed by SIGKILL/);
  const restarted = await until('a restarted server', async () => {
    const now = await processesWith(runDir);
    const o = await getJson(daemon, 'pxeserver', 'pxe1');
    return now.length === 1 && now[0] !== pid && readyOf(o)?.status === 'True' ? now[0] : undefined;
  }, 120_000);
  assert.equal(existsSync(`/proc/${pid}`), false);
  // Its leases survived the restart (state/leases.json in the run dir).
  assert.equal((await udhcpc(client, script)).ip, lease.ip);

  // A spec change restarts the server with the new config.
  const patched = await daemon.kubectl(['patch', 'pxeserver', 'pxe1', '--type', 'merge', '-p', '{"spec":{"dhcp":{"leaseSeconds":900}}}']);
  assert.equal(patched.code, 0, patched.stderr);
  const current = await until('the server restarted with the new spec', async () => {
    const now = await processesWith(runDir);
    const o = await getJson(daemon, 'pxeserver', 'pxe1');
    return now.length === 1 && now[0] !== restarted && readyOf(o)?.status === 'True' && o.status.observedGeneration === o.metadata.generation ? now[0] : undefined;
  }, 120_000);
  assert.equal((await udhcpc(client, script)).lease, '900');

  // A zero-length leases.json (a crash mid-write on a filesystem that lost it): the restarted
  // server moves it aside and starts with no leases; the PXEServer stays Ready and says so.
  process.kill(current, 'SIGKILL');
  await writeFile(join(runDir, 'state', 'leases.json'), '');
  const recovered = await until('Ready with a LeasesRecovered condition', async () => {
    const o = await getJson(daemon, 'pxeserver', 'pxe1');
    const now = await processesWith(runDir);
    const cond = (o.status?.conditions ?? []).find((c: Json) => c.type === 'LeasesRecovered');
    return now.length === 1 && now[0] !== current && readyOf(o)?.status === 'True' && cond ? { cond, pid: now[0] as number } : undefined;
  }, 120_000);
  assert.equal(recovered.cond.reason, 'LeasesFileEmpty');
  assert.match(recovered.cond.message, /leases\.json.*moved it to .*leases\.json\.corrupt-.* and started with no leases/);
  assert.ok(recovered.cond.message.includes(`moved it to ${join(runDir, 'state', 'leases.json.corrupt-')}`), `the real path, not the descriptor's: ${recovered.cond.message}`);
  assert.ok((await readdir(join(runDir, 'state'))).some((f) => f.startsWith('leases.json.corrupt-')), 'the bad file is kept aside');
  const recoveredEvent = await until('the LeasesRecovered Event', async () => (await getJson(daemon, 'events')).items.find((e: Json) => e.involvedObject?.name === 'pxe1' && e.reason === 'LeasesFileEmpty'), 60_000);
  assert.equal(recoveredEvent.type, 'Warning');

  // Another store: a daemon started on this data dir with an empty database leaves this
  // store's running server alone (same process, run dir, leases, netns); back on its own
  // database the daemon adopts it again.
  await daemon.stop();
  const dbFiles = ['pxevirt.db', 'pxevirt.db-wal', 'pxevirt.db-shm'];
  for (const f of dbFiles) await rename(join(dataDir, f), join(dataDir, `${f}.kept`)).catch(() => undefined);
  daemon = await startNodeDaemon(t, node.name, dataDir, ['--pxe-netns-prefix', prefix, '--netns-prefix', `${prefix}v`]);
  assert.equal((await getJson(daemon, 'pxeservers')).items.length, 0, 'the new store has no PXEServer');
  assert.match(daemon.log(), /a PXE server of another store is running here: left alone/);
  assert.deepEqual(await processesWith(runDir), [recovered.pid], 'the other store\'s server still runs');
  assert.ok(existsSync(join(runDir, 'pod.json')) && (await podNamespaces(prefix)).length > 0, 'its run dir and netns are where they were');
  await daemon.stop();
  for (const f of dbFiles) {
    await rm(join(dataDir, f), { force: true });
    await rename(join(dataDir, `${f}.kept`), join(dataDir, f)).catch(() => undefined);
  }
  daemon = await startNodeDaemon(t, node.name, dataDir, ['--pxe-netns-prefix', prefix, '--netns-prefix', `${prefix}v`]);
  await until('the server adopted again', async () => readyOf(await getJson(daemon, 'pxeserver', 'pxe1'))?.status === 'True' || undefined, 60_000);
  assert.deepEqual(await processesWith(runDir), [recovered.pid], 'adopted, not restarted');

  // Delete: the servers stop, the pods and their files go; the node namespace is as before.
  const deleted = await daemon.kubectl(['delete', 'pxeserver', 'pxe1', 'pxe2', 'pxe3', '--timeout=120s']);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(await processesWith(runDir), []);
  assert.equal(existsSync(`/proc/${recovered.pid}`), false);
  assert.deepEqual(await podNamespaces(prefix), []);
  assert.equal(existsSync(runDir), false);
  assert.deepEqual(await readdir(join(dataDir, 'run', 'pxeserver')), []);
  assert.deepEqual(await readdir(join(dataDir, 'cni', 'cache', 'pods')).catch(() => []), [], `no cached CNI results left; daemon said: ${daemon.log().split('\n').filter((l) => /CNI|cni/.test(l) && /"level":[45]0/.test(l)).join('\n')}`);
  assert.deepEqual(await nodeLinks(node), linksBefore);
  await daemon.stop();
});
