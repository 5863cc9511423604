// Load test: perfdhcp completes 1000 four-way exchanges against the server, and the lease
// file shows no address given to two clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeNamespace, netnsUnavailable } from '../helpers/netns.ts';
import { runPerfdhcp } from './perfdhcp.ts';
import { scratchDir, startDhcpProcess, testConfig } from './server-process.ts';

const skip = await netnsUnavailable();
const CLIENTS = 200;
const WANTED = 1000;

test('perfdhcp completes 1000 exchanges and no address goes to two clients', { skip, timeout: 300_000 }, async (t) => {
  const dir = await scratchDir(t);
  const root = join(dir, 'root');
  await mkdir(root);
  const ns = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  const server = await startDhcpProcess(ns, testConfig(root), join(dir, 'state'));
  t.after(() => server.stop());
  const client = await ns.addClient({ address: '192.168.100.2/24' });

  // Drops happen under load (perfdhcp counts them); run again until 1000 exchanges completed.
  let completed = 0;
  const reports = [];
  for (let attempt = 0; attempt < 5 && completed < WANTED; attempt++) {
    const report = await runPerfdhcp(client, '192.168.100.1', ['-r', '500', '-R', String(CLIENTS), '-n', String(WANTED), '-W', '1000000']);
    reports.push(report);
    t.diagnostic(`attempt ${attempt + 1}: DISCOVER-OFFER ${JSON.stringify(report.discoverOffer)}, REQUEST-ACK ${JSON.stringify(report.requestAck)}, rate ${report.rate}/s`);
    assert.ok(Number.isFinite(report.requestAck.received), `expected a perfdhcp report, found:\n${report.output}`);
    completed += report.requestAck.received;
  }
  assert.ok(completed >= WANTED, `expected ${WANTED} completed exchanges, found ${completed}: ${JSON.stringify(reports.map((r) => [r.discoverOffer, r.requestAck]))}`);

  const { leases } = await server.leaseFile();
  const bound = leases.filter((l) => l.state === 'bound');
  const ips = new Set(bound.map((l) => l.ip));
  const macs = new Set(bound.map((l) => l.mac));
  assert.equal(ips.size, bound.length, 'an address appears twice in the lease file');
  assert.equal(macs.size, bound.length, 'a client holds two addresses');
  assert.ok(bound.length > 0 && bound.length <= CLIENTS, `expected 1 to ${CLIENTS} leases, found ${bound.length}`);
  for (const l of bound) {
    const last = Number(/^192\.168\.100\.(\d+)$/.exec(l.ip)?.[1]);
    assert.ok(last >= 10 && last <= 250, `expected leases in 192.168.100.10-250, found ${l.ip}`);
  }
});
