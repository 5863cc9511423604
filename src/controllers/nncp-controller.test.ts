import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../lib/logger.ts';
import { fileJournal } from '../network/nncp/journal.ts';
import { createFakeHost, type FakeHost } from '../network/nncp/fake-host.ts';
import { openTestStore } from '../store/test-fixture.ts';
import type { ObjectStore, StoredObject } from '../store/types.ts';
import { NNCE_KEY, NNCP_KEY, selectsNode, startNncpController } from './nncp-controller.ts';
import type { Condition } from './nncp-conditions.ts';

const node = () => ({
  links: [
    { name: 'eth0', kind: 'veth', mtu: 1500, up: true, addresses: [{ ip: '10.77.0.2', prefix: 24 }] },
    { name: 'veth1', kind: 'veth', mtu: 1500, up: false, addresses: [] },
  ],
});

function policy(name: string, ports: string[], extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'nmstate.io/v1',
    kind: 'NodeNetworkConfigurationPolicy',
    metadata: { name },
    spec: { desiredState: { interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up', ipv4: { enabled: false }, bridge: { options: { stp: { enabled: false } }, port: ports.map((p) => ({ name: p })) } }] }, ...extra },
  };
}

const conditions = (o: StoredObject | undefined): Record<string, string> =>
  Object.fromEntries(((o?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason}${c.message ? ` ${c.message}` : ''}`]));

async function start(t: TestContext, host: FakeHost): Promise<{ store: ObjectStore; idle: () => Promise<void> }> {
  const { store } = openTestStore(t);
  const c = await startNncpController({ store, nodeName: 'node01', host, log: silentLogger, retryBaseMs: 10 });
  t.after(() => c.stop());
  return { store, idle: () => c.idle() };
}

test('a matching policy is applied once per generation and reports Available with an enactment', async (t) => {
  const host = createFakeHost(node());
  const { store, idle } = await start(t, host);
  store.create(NNCP_KEY, policy('br1-policy', ['veth1'], { nodeSelector: { 'kubernetes.io/hostname': 'node01' } }));
  await idle();
  assert.deepEqual(conditions(store.get(NNCP_KEY, undefined, 'br1-policy')), {
    Available: 'True SuccessfullyConfigured 1/1 nodes successfully configured',
    Degraded: 'False SuccessfullyConfigured',
    Progressing: 'False SuccessfullyConfigured',
  });
  const nnce = store.get(NNCE_KEY, undefined, 'node01.br1-policy');
  assert.equal(conditions(nnce).Available, 'True SuccessfullyConfigured successfully reconciled');
  assert.equal((nnce.status as { policyGeneration: number }).policyGeneration, 1);
  assert.equal(nnce.metadata.labels?.['nmstate.io/policy'], 'br1-policy');
  const commands = host.commands.length;
  // A metadata-only change keeps the generation: nothing is applied again.
  const p = store.get(NNCP_KEY, undefined, 'br1-policy');
  store.update(NNCP_KEY, { ...p, metadata: { ...p.metadata, labels: { a: 'b' } } });
  await idle();
  assert.equal(host.commands.length, commands);
});

test('a failing policy reports Degraded and the enactment carries the reason', async (t) => {
  const host = createFakeHost(node());
  const { store, idle } = await start(t, host);
  store.create(NNCP_KEY, policy('bad', ['veth1', 'nope0']));
  await idle();
  assert.deepEqual(conditions(store.get(NNCP_KEY, undefined, 'bad')), {
    Available: 'False FailedToConfigure',
    Degraded: 'True FailedToConfigure 1/1 nodes failed to configure',
    Progressing: 'False FailedToConfigure',
  });
  assert.match(conditions(store.get(NNCE_KEY, undefined, 'node01.bad')).Failing ?? '', /^True FailedToConfigure `ip link set dev nope0 master br1` failed: Cannot find device "nope0"; rolled back/);
  assert.equal(host.state.links.some((l) => l.name === 'br1'), false);
});

test('a policy for another node reports NoMatchingNode and changes nothing', async (t) => {
  const host = createFakeHost(node());
  const { store, idle } = await start(t, host);
  store.create(NNCP_KEY, policy('elsewhere', ['veth1'], { nodeSelector: { 'kubernetes.io/hostname': 'node02' } }));
  await idle();
  assert.equal(conditions(store.get(NNCP_KEY, undefined, 'elsewhere')).Available, 'True NoMatchingNode Policy does not match any node');
  assert.throws(() => store.get(NNCE_KEY, undefined, 'node01.elsewhere'), /not found/);
  assert.deepEqual(host.commands, []);
});

test('deleting a policy removes its enactment and leaves the host as configured', async (t) => {
  const host = createFakeHost(node());
  const { store, idle } = await start(t, host);
  store.create(NNCP_KEY, policy('keep', ['veth1']));
  await idle();
  store.delete(NNCP_KEY, undefined, 'keep');
  await idle();
  assert.throws(() => store.get(NNCE_KEY, undefined, 'node01.keep'), /not found/);
  assert.equal(host.state.links.find((l) => l.name === 'veth1')?.master, 'br1');
});

test('a new generation is applied again', async (t) => {
  const host = createFakeHost(node());
  const { store, idle } = await start(t, host);
  store.create(NNCP_KEY, policy('gen', ['veth1']));
  await idle();
  const p = store.get(NNCP_KEY, undefined, 'gen');
  store.update(NNCP_KEY, { ...p, spec: policy('gen', []).spec });
  await idle();
  const nnce = store.get(NNCE_KEY, undefined, 'node01.gen');
  assert.equal((nnce.status as { policyGeneration: number }).policyGeneration, 2);
  assert.equal(host.state.links.find((l) => l.name === 'veth1')?.master, undefined);
});

test('nodeSelector entries must all equal the node\'s labels', () => {
  const labels = { 'kubernetes.io/hostname': 'node01', role: 'pxe' };
  assert.equal(selectsNode(undefined, labels), true);
  assert.equal(selectsNode({ role: 'pxe', 'kubernetes.io/hostname': 'node01' }, labels), true);
  assert.equal(selectsNode({ role: 'pxe', zone: 'a' }, labels), false);
});

test('an apply the previous daemon did not finish is rolled back at start, reported in an Event, and applied again', async (t) => {
  const { store } = openTestStore(t);
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-nncp-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const journal = fileJournal(join(dir, 'nncp', 'checkpoint.json'));
  store.create(NNCP_KEY, policy('br1-policy', ['veth1']));
  // What a daemon killed after two changes left: the checkpoint, and a half-configured host.
  const host = createFakeHost(node());
  await journal.save({ policy: 'br1-policy', generation: 1, startedAt: '2026-12-05T12:00:00.000Z', checkpoint: { links: [{ name: 'br1', absent: true }, structuredClone(node().links[1] as never)] } });
  assert.equal(statSync(join(dir, 'nncp', 'checkpoint.json')).mode & 0o777, 0o600);
  await host.run(['ip', 'link', 'add', 'name', 'br1', 'type', 'bridge']);
  await host.run(['ip', 'link', 'set', 'dev', 'veth1', 'master', 'br1']);
  const before = host.commands.length;
  const c = await startNncpController({ store, nodeName: 'node01', host, log: silentLogger, retryBaseMs: 10, journal });
  t.after(() => c.stop());
  await c.idle();
  const back = host.commands.slice(before).map((argv) => argv.join(' '));
  assert.ok(back.includes('ip link del dev br1'), `rolled back first: ${back.join('; ')}`);
  const events = store.list({ group: '', resource: 'events' }).items as Array<StoredObject & { reason?: string; message?: string }>;
  const rolled = events.find((e) => e.reason === 'RolledBack');
  assert.match(rolled?.message ?? '', /^pxevirt stopped while applying generation 1 of this policy \(started 2026-12-05T12:00:00\.000Z\); rolled back to the previous state \(\d+ change\(s\) undone\); it is applied again$/);
  assert.equal(conditions(store.get(NNCE_KEY, undefined, 'node01.br1-policy')).Available, 'True SuccessfullyConfigured successfully reconciled', 'then applied again');
  assert.equal(await journal.load(), undefined, 'the journal is empty again');
});

test('the journal file: a corrupt one is no pending apply', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-nncp-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'checkpoint.json');
  writeFileSync(path, '{"policy":1');
  assert.equal(await fileJournal(path).load(), undefined);
});
