// Events expire an hour after they were last written, as kube-apiserver's --event-ttl does
// (there an etcd lease renewed on each write; here a sweep over the stored Events' times).
import type { ObjectStore, StoredObject } from './types.ts';

export const EVENTS_KEY = { group: '', resource: 'events' } as const;

/** kube-apiserver's default --event-ttl. */
export const EVENT_TTL_MS = 60 * 60 * 1000;

/** How often the daemon sweeps expired Events. */
export const EVENT_SWEEP_INTERVAL_MS = 60 * 1000;

const time = (v: unknown): number => (typeof v === 'string' ? Date.parse(v) : NaN);

/** When an Event was last written: the newest of its timestamps (lastTimestamp, series, eventTime, creation). */
export function lastWritten(event: StoredObject): number {
  const series = event.series as { lastObservedTime?: unknown } | undefined;
  const times = [event.lastTimestamp, series?.lastObservedTime, event.eventTime, event.firstTimestamp, event.metadata.creationTimestamp].map(time).filter((t) => !Number.isNaN(t));
  return times.length === 0 ? 0 : Math.max(...times);
}

/** Deletes every Event last written more than `ttlMs` before `now`; returns how many went. */
export function sweepExpiredEvents(store: ObjectStore, now: number, ttlMs = EVENT_TTL_MS): number {
  let removed = 0;
  for (const event of store.list(EVENTS_KEY).items) {
    if (now - lastWritten(event) <= ttlMs) continue;
    try {
      store.delete(EVENTS_KEY, event.metadata.namespace, event.metadata.name, { preconditions: { resourceVersion: event.metadata.resourceVersion } });
      removed++;
    } catch {
      // Updated or deleted since the list: the next sweep looks again.
    }
  }
  return removed;
}

/** Sweeps every `intervalMs` until the returned stop is called. */
export function startEventExpiry(options: { store: ObjectStore; now: () => number; ttlMs?: number; intervalMs?: number }): () => void {
  const timer = setInterval(() => sweepExpiredEvents(options.store, options.now(), options.ttlMs), options.intervalMs ?? EVENT_SWEEP_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
