import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENTS_KEY, EVENT_TTL_MS, sweepExpiredEvents } from './event-expiry.ts';
import { openTestStore } from './test-fixture.ts';

const event = (name: string, lastTimestamp?: string) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'VirtualMachineInstance', name: 'a', namespace: 'default' },
  reason: 'Started',
  message: 'started',
  type: 'Normal',
  ...(lastTimestamp ? { firstTimestamp: lastTimestamp, lastTimestamp } : {}),
});

test('an Event is deleted an hour after it was last written, not before', (t) => {
  const { store, clock } = openTestStore(t);
  const created = Math.floor(clock.now.getTime() / 1000) * 1000; // timestamps have second precision
  store.create(EVENTS_KEY, event('old', new Date(created).toISOString()));
  store.create(EVENTS_KEY, event('repeated', new Date(created + 30 * 60_000).toISOString()));
  store.create(EVENTS_KEY, event('bare'));
  assert.equal(sweepExpiredEvents(store, created + EVENT_TTL_MS), 0, 'exactly an hour is still kept');
  assert.equal(sweepExpiredEvents(store, created + EVENT_TTL_MS + 1000), 2);
  assert.deepEqual(store.list(EVENTS_KEY).items.map((e) => e.metadata.name), ['repeated']);
  assert.equal(sweepExpiredEvents(store, created + 90 * 60_000 + 1000), 1);
  assert.equal(store.list(EVENTS_KEY).items.length, 0);
});

test('a flood of Events is gone after the hour, leaving the rest of the store', (t) => {
  const { store, clock } = openTestStore(t);
  const at = clock.now.toISOString();
  for (let i = 0; i < 2000; i++) store.create(EVENTS_KEY, event(`e${i}`, at));
  store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kept' } });
  assert.equal(sweepExpiredEvents(store, clock.now.getTime() + EVENT_TTL_MS + 1000), 2000);
  assert.equal(store.list({ group: '', resource: 'namespaces' }).items.length, 1);
});
