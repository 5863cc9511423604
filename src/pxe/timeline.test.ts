import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLogger } from '../lib/logger.ts';
import { Timeline } from './timeline.ts';

test('logs each event as one line with the MAC and keeps it per host', () => {
  const log = memoryLogger();
  const timeline = new Timeline(log, { now: () => 0 });
  timeline.record({ proto: 'dhcp', event: 'ack', mac: 'de:00:00:00:00:de', ip: '192.168.100.100' });
  timeline.noteAddress('de:00:00:00:00:de', '192.168.100.100');
  timeline.record({ proto: 'tftp', event: 'rrq', ip: '192.168.100.100', file: 'ipxe/undionly.kpxe' });
  assert.equal(log.records.length, 2);
  assert.equal(log.records[1]?.mac, 'de:00:00:00:00:de', 'TFTP event gets the MAC from the DHCP address');
  assert.deepEqual(
    timeline.snapshot()['de:00:00:00:00:de']?.map((e) => `${e.proto} ${e.event}`),
    ['dhcp ack', 'tftp rrq'],
  );
});

test('keeps a bounded history per host and a bounded number of hosts', () => {
  const timeline = new Timeline(memoryLogger(), { perHost: 2, hosts: 2 });
  for (let i = 0; i < 5; i++) timeline.record({ proto: 'http', event: 'get', mac: 'aa:00:00:00:00:01', n: i });
  timeline.record({ proto: 'http', event: 'get', mac: 'aa:00:00:00:00:02' });
  timeline.record({ proto: 'http', event: 'get', mac: 'aa:00:00:00:00:03' });
  const snap = timeline.snapshot();
  assert.deepEqual(Object.keys(snap), ['aa:00:00:00:00:02', 'aa:00:00:00:00:03']);
  const again = new Timeline(memoryLogger(), { perHost: 2 });
  for (let i = 0; i < 5; i++) again.record({ proto: 'http', event: 'get', mac: 'aa:00:00:00:00:01', n: i });
  assert.deepEqual(again.snapshot()['aa:00:00:00:00:01']?.map((e) => e.n), [3, 4]);
});

test('a flood of events is counted, not logged line by line; the per-MAC timeline still has them', () => {
  const lines: string[] = [];
  const log = { debug: () => {}, info: (_f: unknown, m?: string) => lines.push(m ?? ''), warn: (_f: unknown, m?: string) => lines.push(m ?? ''), error: () => {}, child: () => log };
  let now = 0;
  const timeline = new Timeline(log, { now: () => now, logPerSecond: 10 });
  for (let i = 0; i < 1000; i++) timeline.record({ proto: 'dhcp', event: 'discover', mac: 'aa:00:00:00:00:01' });
  assert.equal(lines.length, 10);
  now = 1000;
  timeline.record({ proto: 'dhcp', event: 'discover', mac: 'aa:00:00:00:00:01' });
  assert.equal(lines.at(-2), '990 boot event lines not logged (rate limit)');
  assert.equal(timeline.snapshot()['aa:00:00:00:00:01']?.length, 200, 'kept per host (bounded)');
});

test('keeps a bounded IP→MAC map, dropping the address noted longest ago', () => {
  const timeline = new Timeline(memoryLogger(), { now: () => 0, addresses: 3 });
  for (let i = 1; i <= 5; i++) timeline.noteAddress(`02:00:00:00:00:0${i}`, `10.0.0.${i}`);
  timeline.noteAddress('02:00:00:00:00:03', '10.0.0.3'); // refreshed: now the newest
  timeline.noteAddress('02:00:00:00:00:06', '10.0.0.6');
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((i) => timeline.macForIp(`10.0.0.${i}`) !== undefined), [false, false, true, false, true, true]);
  assert.deepEqual(timeline.sizes(), { hosts: 0, addresses: 3, maxHosts: 512, maxAddresses: 3 });
});
