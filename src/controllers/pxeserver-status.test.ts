import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leasesRecoveredEvent, PxeReason, pxeServerStatus, serverStatusFields, type PxeServerObservation } from './pxeserver-status.ts';

const now = new Date('2026-01-01T12:00:00Z');
const doc = {
  server: { interface: 'net1', address: '192.168.100.1/24', dhcpMode: 'server' },
  transfers: [{ id: 3, proto: 'http', file: 'tiny/initrd.gz', ip: '192.168.100.10', mac: 'de:00:00:00:00:de', size: 1000, bytes: 400, startedAt: '2026-01-01T11:59:59.000Z' }],
  timelines: {
    'de:00:00:00:00:01': [{ time: '2026-01-01T11:00:00.000Z', proto: 'dhcp', event: 'discover', mac: 'de:00:00:00:00:01', xid: 1 }],
    'de:00:00:00:00:de': [
      { time: '2026-01-01T11:59:50.000Z', proto: 'dhcp', event: 'ack', mac: 'de:00:00:00:00:de', ip: '192.168.100.10', xid: 7, arch: 'bios' },
      { time: '2026-01-01T11:59:52.000Z', proto: 'tftp', event: 'done', ip: '192.168.100.10', mac: 'de:00:00:00:00:de', file: 'ipxe/undionly.kpxe', size: 70000, bytes: 70000, ms: 120, blksize: 1468 },
      { time: '2026-01-01T11:59:53.000Z', proto: 'http', event: 'script', ip: '192.168.100.10', mac: 'de:00:00:00:00:de', path: '/boot.ipxe', status: 200, image: 'tiny', reason: 'default image' },
    ],
  },
  leases: [
    { ip: '192.168.100.11', mac: 'de:00:00:00:00:02', state: 'bound', expiresAt: '2026-01-01T11:00:00.000Z', expired: true },
    { ip: '192.168.100.10', mac: 'de:00:00:00:00:de', state: 'bound', expiresAt: '2026-01-01T13:00:00.000Z', expired: false },
  ],
};

test('turns the server document into leases, per-MAC boots (newest host first) and transfers', () => {
  const f = serverStatusFields(doc, now);
  assert.deepEqual(f.leases, [{ mac: 'de:00:00:00:00:de', ip: '192.168.100.10', state: 'bound', expiresAt: '2026-01-01T13:00:00.000Z' }]);
  assert.deepEqual(f.boots.map((b) => b.mac), ['de:00:00:00:00:de', 'de:00:00:00:00:01']);
  const boot = f.boots[0] as { ip: string; image: string; lastSeen: string; events: Array<Record<string, unknown>> };
  assert.equal(boot.ip, '192.168.100.10');
  assert.equal(boot.image, 'tiny');
  assert.equal(boot.lastSeen, '2026-01-01T11:59:53.000Z');
  assert.deepEqual(boot.events[1], { time: '2026-01-01T11:59:52.000Z', proto: 'tftp', event: 'done', ip: '192.168.100.10', file: 'ipxe/undionly.kpxe', size: 70000, bytes: 70000, ms: 120 });
  assert.equal(boot.events[2]?.file, '/boot.ipxe');
  assert.equal(boot.events[2]?.message, 'default image');
  assert.deepEqual(f.transfers, [{ proto: 'http', file: 'tiny/initrd.gz', ip: '192.168.100.10', mac: 'de:00:00:00:00:de', size: 1000, bytes: 400, startedAt: '2026-01-01T11:59:59.000Z' }]);
});

test('keeps only the newest events and hosts within the limits', () => {
  const many = { timelines: Object.fromEntries(Array.from({ length: 5 }, (_, h) => [`de:00:00:00:00:0${h}`, Array.from({ length: 10 }, (_, i) => ({ time: `2026-01-01T11:00:0${i}.000Z`, proto: 'dhcp', event: `e${i}` }))])) };
  const f = serverStatusFields(many, now, { hosts: 2, eventsPerHost: 3 });
  assert.deepEqual(f.boots.map((b) => b.mac), ['de:00:00:00:00:04', 'de:00:00:00:00:03']);
  assert.deepEqual((f.boots[0]?.events as Array<{ event: string }>).map((e) => e.event), ['e7', 'e8', 'e9']);
});

const obs = (o: Partial<PxeServerObservation>): PxeServerObservation => ({ phase: 'Running', reason: PxeReason.Serving, message: 'serving', generation: 2, address: '192.168.100.1/24', ...o });

test('Ready keeps its lastTransitionTime while its status stays and changes it when it flips', () => {
  const first = pxeServerStatus(undefined, obs({ server: doc }), now);
  const cond = (s: Record<string, unknown>) => (s.conditions as Array<Record<string, unknown>>)[0] ?? {};
  assert.deepEqual(cond(first), { type: 'Ready', status: 'True', reason: 'Serving', message: 'serving', lastTransitionTime: '2026-01-01T12:00:00Z' });
  const later = new Date('2026-01-01T12:05:00Z');
  assert.equal(cond(pxeServerStatus(first, obs({ message: 'still serving' }), later)).lastTransitionTime, '2026-01-01T12:00:00Z');
  const failed = pxeServerStatus(first, obs({ phase: 'Failed', reason: PxeReason.ServerExited, message: 'pxe-serve exited with code 1' }), later);
  assert.deepEqual(cond(failed), { type: 'Ready', status: 'False', reason: 'ServerExited', message: 'pxe-serve exited with code 1', lastTransitionTime: '2026-01-01T12:05:00Z' });
  assert.equal(failed.phase, 'Failed');
  assert.equal(failed.observedGeneration, 2);
});

test('keeps the last server fields while running without an answer and drops them when not running', () => {
  const first = pxeServerStatus(undefined, obs({ server: doc }), now);
  assert.equal((pxeServerStatus(first, obs({}), now).leases as unknown[]).length, 1);
  assert.equal(pxeServerStatus(first, obs({ phase: 'Failed', reason: PxeReason.ServerExited }), now).leases, undefined);
});

test('the same inputs give an identical status (so nothing is written)', () => {
  const a = pxeServerStatus(undefined, obs({ server: doc }), now);
  assert.equal(JSON.stringify(pxeServerStatus(a, obs({ server: doc }), new Date('2026-01-01T12:00:03Z'))), JSON.stringify(a));
});

test("the server's gap explanations land on their host's boot, reduced to the documented fields", () => {
  const gap = { from: '2026-01-01T11:59:50.000Z', to: '2026-01-01T11:59:52.000Z', seconds: 2, after: 'dhcp ack', before: 'tftp done', cause: 'firmware', likely: 'the firmware…', extra: 'x' };
  const f = serverStatusFields({ ...doc, gaps: { 'de:00:00:00:00:de': [gap, 'junk'] } }, now);
  assert.deepEqual(f.boots[0]?.gaps, [{ from: gap.from, to: gap.to, seconds: 2, cause: 'firmware', likely: 'the firmware…' }]);
  assert.equal(f.boots[1]?.gaps, undefined, 'no gaps field for a host without gaps');
});

test('a server that recovered from a bad lease file is Ready with a LeasesRecovered condition and one Warning event', () => {
  const recovered = { reason: 'LeasesFileCorrupt', movedTo: '/s/leases.json.corrupt-x', message: 'bad lease file /s/leases.json: expected JSON, found a syntax error; moved it to /s/leases.json.corrupt-x and started with no leases', at: '2026-01-01T11:58:00.123Z' };
  const withRecovery = { ...doc, dhcp: { leaseTable: { leases: 0 }, leasesRecovered: recovered } };
  const obs: PxeServerObservation = { phase: 'Running', reason: PxeReason.Serving, message: 'serving', generation: 1, server: withRecovery };
  const status = pxeServerStatus(undefined, obs, now) as { conditions: Array<Record<string, unknown>> };
  assert.deepEqual(status.conditions.map((c) => [c.type, c.status, c.reason]), [['Ready', 'True', 'Serving'], ['LeasesRecovered', 'True', 'LeasesFileCorrupt']]);
  assert.equal(status.conditions[1]?.message, recovered.message);
  assert.equal(status.conditions[1]?.lastTransitionTime, '2026-01-01T11:58:00Z');
  assert.deepEqual(leasesRecoveredEvent(undefined, withRecovery), { type: 'Warning', reason: 'LeasesFileCorrupt', message: recovered.message });
  assert.equal(leasesRecoveredEvent(status, withRecovery), undefined, 'once per recovery, not once per status read');
  // Kept while the server does not answer; gone once a server without a recovery answers.
  const quiet = pxeServerStatus(status, { ...obs, server: undefined } as PxeServerObservation, now) as typeof status;
  assert.equal(quiet.conditions[1]?.type, 'LeasesRecovered');
  const clean = pxeServerStatus(status, { ...obs, server: doc }, now) as typeof status;
  assert.deepEqual(clean.conditions.map((c) => c.type), ['Ready']);
  assert.equal(leasesRecoveredEvent(status, doc), undefined);
});

test('status.hosts carries the install state per host and drops malformed entries', () => {
  const fields = serverStatusFields(
    {
      hosts: [
        { mac: 'de:00:00:00:00:01', state: 'Provisioned', image: 'installer', installStartedAt: '2026-12-05T12:00:00.000Z', provisionedAt: '2026-12-05T12:01:00.000Z', token: 'never shown' },
        { mac: 'de:00:00:00:00:02', state: 'Weird' },
      ],
    },
    new Date('2026-12-05T12:02:00Z'),
  );
  assert.deepEqual(fields.hosts, [{ mac: 'de:00:00:00:00:01', state: 'Provisioned', image: 'installer', installStartedAt: '2026-12-05T12:00:00.000Z', provisionedAt: '2026-12-05T12:01:00.000Z' }]);
});
