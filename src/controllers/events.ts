// Records controller Events as core v1 Event objects in the store, the way client-go's
// recorder does: one object per (object, type, reason, message), its count bumped on repeats.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../lib/logger.ts';
import { formatTimestamp } from '../store/object-meta.ts';
import type { ObjectStore, StoredObject } from '../store/types.ts';
import type { ControllerEvent } from './reconciler.ts';

const EVENTS = { group: '', resource: 'events' };

export interface EventRecorder {
  record(object: StoredObject, event: ControllerEvent, component: 'virt-handler' | 'virt-controller' | 'pxevirt-bmc'): void;
}

/** A recorder writing to the store; failures are logged, never thrown (events are best effort). */
export function createEventRecorder(options: { store: ObjectStore; host: string; log: Logger; now?: () => Date }): EventRecorder {
  const now = options.now ?? (() => new Date());
  // (uid|type|reason|message) → the Event's name, for counting repeats.
  const seen = new Map<string, string>();
  return {
    record(object, event, component) {
      const namespace = object.metadata.namespace ?? 'default';
      const key = `${object.metadata.uid}|${event.type}|${event.reason}|${event.message}`;
      const at = formatTimestamp(now());
      try {
        const existing = seen.get(key);
        if (existing) {
          try {
            const stored = options.store.get(EVENTS, namespace, existing);
            options.store.update(EVENTS, { ...stored, count: (typeof stored.count === 'number' ? stored.count : 1) + 1, lastTimestamp: at });
            return;
          } catch {
            seen.delete(key);
          }
        }
        const name = `${object.metadata.name}.${randomBytes(8).toString('hex')}`;
        options.store.create(EVENTS, {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject: {
            kind: object.kind,
            name: object.metadata.name,
            namespace,
            uid: object.metadata.uid,
            apiVersion: object.apiVersion,
            resourceVersion: object.metadata.resourceVersion,
          },
          reason: event.reason,
          message: event.message,
          type: event.type,
          count: 1,
          firstTimestamp: at,
          lastTimestamp: at,
          source: { component, host: options.host },
          reportingComponent: component,
          reportingInstance: options.host,
        });
        seen.set(key, name);
        if (seen.size > 10_000) seen.delete(seen.keys().next().value as string);
      } catch (err) {
        options.log.warn({ err: err instanceof Error ? err.message : String(err), reason: event.reason }, 'could not record event');
      }
    },
  };
}
