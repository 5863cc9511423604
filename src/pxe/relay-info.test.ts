import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRelayId, parseRelayAgentInfo, relayIdMatches, RelayMemory } from './relay-info.ts';

test('reads circuit and remote IDs and stops at a truncated sub-option', () => {
  const ids = parseRelayAgentInfo(Buffer.from([1, 3, 0x61, 0x62, 0x63, 9, 1, 0, 2, 2, 0x0a, 0x0b, 1, 9, 0]));
  assert.equal(Buffer.from(ids.circuitId!).toString(), 'abc');
  assert.deepEqual([...ids.remoteId!], [0x0a, 0x0b]);
  assert.deepEqual(parseRelayAgentInfo(Buffer.from([1, 5, 0x61])), {});
});

test('a selector names an ID by its text or its hex bytes', () => {
  const text = Buffer.from('rack1/port7');
  assert.equal(relayIdMatches('rack1/port7', text), true);
  assert.equal(relayIdMatches('rack1/port8', text), false);
  assert.equal(relayIdMatches('0x0a0b', Buffer.from([10, 11])), true);
  assert.equal(relayIdMatches('0A:0B', Buffer.from([10, 11])), true);
  assert.equal(relayIdMatches('0a:0c', Buffer.from([10, 11])), false);
  assert.equal(relayIdMatches('x', undefined), false);
  assert.equal(formatRelayId(text), 'rack1/port7');
  assert.equal(formatRelayId(Buffer.from([0, 255])), '00:ff');
});

test('remembers per MAC, forgets on an unrelayed request and stays bounded', () => {
  const m = new RelayMemory(2);
  m.record('02:00:00:00:00:01', { circuitId: Buffer.from('a') });
  assert.equal(Buffer.from(m.get('02-00-00-00-00-01')!.circuitId!).toString(), 'a');
  m.record('02:00:00:00:00:01', {});
  assert.equal(m.get('02:00:00:00:00:01'), undefined);
  for (const i of [1, 2, 3]) m.record(`02:00:00:00:00:0${i}`, { remoteId: Buffer.from([i]) });
  assert.equal(m.size, 2);
  assert.equal(m.get('02:00:00:00:00:01'), undefined, 'the oldest went first');
});
