// DHCP from a hostile segment (issue 13), through the real `pxevirt pxe serve`: a flood of
// DISCOVERs with random requested addresses (perfdhcp and raw packets) and spoofed DECLINEs,
// RELEASEs and REQUESTs of a real client's address from other MACs. busybox udhcpc clients
// still get and keep their leases, and every table the server keeps stays under its cap.
// Also: an empty or corrupt leases.json is moved aside and the server starts, saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeNamespace, netnsUnavailable, type Namespace, type NodeNamespace } from '../helpers/netns.ts';
import { runPerfdhcp } from '../dhcp/perfdhcp.ts';
import { scratchDir, startDhcpProcess, testConfig } from '../dhcp/server-process.ts';

const skip = await netnsUnavailable();
const ATTACKER = fileURLToPath(new URL('./dhcp-attacker.ts', import.meta.url));
const REAL = '02:00:00:00:13:01';

async function setup(t: Parameters<typeof createNodeNamespace>[0]) {
  const dir = await scratchDir(t, 'pxvt-hostile-dhcp-');
  const root = join(dir, 'root');
  const stateDir = join(dir, 'state');
  await mkdir(root);
  await mkdir(stateDir);
  const script = join(dir, 'udhcpc.sh');
  await writeFile(script, '#!/bin/sh\necho "EVENT=$1 ip=$ip serverid=$serverid"\n');
  await chmod(script, 0o755);
  const ns = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  return { root, stateDir, script, ns };
}

/** udhcpc once; the address it was bound to. `requestIp` asks for that address (a renewal after reboot). */
async function udhcpc(client: Namespace, script: string, requestIp?: string): Promise<string> {
  const { stdout } = await client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-t', '8', '-T', '2', '-i', 'eth0', '-s', script, ...(requestIp ? ['-r', requestIp] : [])], { timeoutMs: 60_000 });
  const ip = /EVENT=bound ip=(\S+)/.exec(stdout)?.[1];
  assert.ok(ip, `expected udhcpc to report "bound", found:\n${stdout}`);
  return ip;
}

/** The server's /status, read from inside the node namespace. */
async function status(ns: NodeNamespace): Promise<{ leases: Array<{ ip: string; mac: string; state: string }>; dhcp: Record<string, any> }> {
  const { stdout } = await ns.exec('curl', ['-sf', '--max-time', '10', 'http://192.168.100.1:8080/status']);
  return JSON.parse(stdout);
}

test('a DHCP flood and spoofed DECLINEs leave a real client its lease and every table bounded', { skip, timeout: 300_000 }, async (t) => {
  const { root, stateDir, script, ns } = await setup(t);
  // A range larger than the offer cap, so the cap and not the range bounds the offers.
  const server = await startDhcpProcess(ns, testConfig(root, { range: '192.168.100.10-192.168.100.250' }), stateDir);
  t.after(() => server.stop());
  const real = await ns.addClient({ mac: REAL });
  const victimIp = await udhcpc(real, script);

  const attacker = await ns.addClient({ address: '192.168.100.3/24' });
  const flooder = await ns.addClient({ address: '192.168.100.2/24' });
  // perfdhcp: DISCOVER-only (-i) from 3000 simulated clients; the raw attacker: spoofed messages.
  const floods = Promise.all([
    runPerfdhcp(flooder, '192.168.100.1', ['-i', '-r', '1500', '-R', '3000', '-p', '4', '-W', '1000000'], 120_000),
    attacker.exec(process.execPath, ['--import', 'tsx', ATTACKER, '192.168.100.1', '8000', victimIp], { timeoutMs: 120_000 }),
  ]);
  // During the flood a new client gets an address and the real one keeps its own.
  const newcomer = await ns.addClient({ mac: '02:00:00:00:13:02' });
  const newIp = await udhcpc(newcomer, script);
  assert.notEqual(newIp, victimIp);
  const [perf, raw] = await floods;
  t.diagnostic(`perfdhcp: DISCOVER-OFFER ${JSON.stringify(perf.discoverOffer)}; attacker: ${raw.stdout.trim()}`);
  assert.ok(perf.discoverOffer.sent > 1000, `expected perfdhcp to send over 1000 DISCOVERs, found ${perf.discoverOffer.sent}`);
  assert.equal(await udhcpc(real, script, victimIp), victimIp, 'the real client keeps its address');

  const s = await status(ns);
  const mine = s.leases.find((l) => l.ip === victimIp);
  assert.deepEqual([mine?.mac, mine?.state], [REAL, 'bound'], `expected ${victimIp} bound to ${REAL}, found ${JSON.stringify(mine)}`);
  assert.equal(s.leases.filter((l) => l.state === 'declined').length, 0, 'a DECLINE from a non-holder was accepted');
  const { leaseTable, timeline } = s.dhcp;
  t.diagnostic(`tables after the flood: ${JSON.stringify(s.dhcp)}`);
  assert.ok(leaseTable.offers <= leaseTable.maxOffers && leaseTable.leases <= 241, `lease table over its caps: ${JSON.stringify(leaseTable)}`);
  assert.ok(timeline.addresses <= timeline.maxAddresses && timeline.addresses <= 241 + 4, `IP→MAC map holds client-chosen addresses: ${JSON.stringify(timeline)}`);
  assert.ok(timeline.hosts <= timeline.maxHosts, `timeline hosts over the cap: ${JSON.stringify(timeline)}`);
  const lines = server.lines.filter((l) => l.msg === 'malformed DHCP packet' || (typeof l.msg === 'string' && l.msg.startsWith('dhcp '))).length;
  assert.ok(lines < 5000, `expected rate-limited packet logging, found ${lines} lines`);
});

for (const [what, text, reason] of [['an empty', '', 'LeasesFileEmpty'], ['a corrupt', '{"version":1,"leases":[{"ip":"192.168', 'LeasesFileCorrupt']] as const) {
  test(`pxe serve starts on ${what} leases.json, moves it aside and says so`, { skip, timeout: 120_000 }, async (t) => {
    const { root, stateDir, script, ns } = await setup(t);
    await writeFile(join(stateDir, 'leases.json'), text);
    const server = await startDhcpProcess(ns, testConfig(root), stateDir);
    t.after(() => server.stop());
    const logged = server.lines.find((l) => l.reason === reason);
    assert.match(String(logged?.msg), /bad lease file .*leases\.json.*moved it to .*leases\.json\.corrupt-.*started with no leases/);
    const s = await status(ns);
    assert.equal(s.dhcp.leasesRecovered?.reason, reason);
    const moved = (await readdir(stateDir)).filter((f) => f.startsWith('leases.json.corrupt-'));
    assert.equal(moved.length, 1);
    // And it serves: a client gets a lease, written to a new, good leases.json.
    const client = await ns.addClient({ mac: '02:00:00:00:13:03' });
    const ip = await udhcpc(client, script);
    assert.deepEqual((await server.leaseFile()).leases.map((l) => [l.ip, l.mac]), [[ip, '02:00:00:00:13:03']]);
  });
}
