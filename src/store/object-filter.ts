// The namespace, label and field conditions of a list or watch, compiled once, and the
// watch rule for objects moving in and out of a selector.
import type { ResourceKey, StoredObject, WatchEvent, WatchEventType } from './types.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { FieldSelector, LabelSelector } from './selectors.ts';

/** The fields every resource can be selected by. */
export const METADATA_FIELDS = ['metadata.name', 'metadata.namespace'] as const;

/** Extra selectable fields per resource, beyond metadata.name and metadata.namespace. */
export type SelectableFields = (key: ResourceKey) => readonly string[];

/** What kubectl selects core Events by (`kubectl describe` asks for involvedObject.*). */
export const defaultSelectableFields: SelectableFields = (key) =>
  key.group === '' && key.resource === 'events'
    ? ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type']
    : [];

/** A field's value as a selector sees it: metadata.namespace is '' for cluster-scoped objects, missing fields are ''. */
export function fieldValue(object: StoredObject, field: string): string {
  if (field === 'metadata.name') return object.metadata.name;
  if (field === 'metadata.namespace') return object.metadata.namespace ?? '';
  let at: unknown = object;
  for (const part of field.split('.')) {
    if (typeof at !== 'object' || at === null) return '';
    at = (at as Record<string, unknown>)[part];
  }
  // Event's `source` is an object ({component, host}); Kubernetes selects it by component.
  if (field === 'source' && typeof at === 'object' && at !== null) at = (at as Record<string, unknown>)['component'];
  return typeof at === 'string' || typeof at === 'number' || typeof at === 'boolean' ? String(at) : '';
}

export interface FilterOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

/** A compiled list/watch filter. */
export interface ObjectFilter {
  /** The options it was compiled from, as one string: filters with the same key select the same. */
  readonly key: string;
  readonly namespace: string | undefined;
  readonly labels: LabelSelector;
  readonly fields: FieldSelector;
  /** Whether the object matches; `labels` overrides the object's labels (a previous state). */
  matches(object: StoredObject, labels?: Record<string, string>): boolean;
}

/** Parses the selectors once (BadQueryError when malformed or selecting an unsupported field). */
export function compileFilter(options: FilterOptions, selectable: readonly string[]): ObjectFilter {
  const labels = parseLabelSelector(options.labelSelector ?? '');
  const fields = parseFieldSelector(options.fieldSelector ?? '', [...METADATA_FIELDS, ...selectable]);
  const namespace = options.namespace;
  return {
    key: JSON.stringify([namespace ?? null, options.labelSelector ?? '', options.fieldSelector ?? '']),
    namespace,
    labels,
    fields,
    matches(object, labelsOverride) {
      if (namespace !== undefined && (object.metadata.namespace ?? '') !== namespace) return false;
      if (fields.length > 0 && !matchesFields(fields, (f) => fieldValue(object, f))) return false;
      return matchesLabels(labels, labelsOverride ?? object.metadata.labels);
    },
  };
}

/** One committed change, as the store publishes it and keeps it in the events table. */
export interface Change {
  resourceVersion: number;
  group: string;
  resource: string;
  type: WatchEventType;
  object: StoredObject;
  /** `object` as JSON, written once: the row, the event, the memory index and every watcher's line use it. */
  json: string;
  /** For MODIFIED: the labels before the change (a selector's transitions depend on them). */
  previousLabels?: Record<string, string>;
}

/**
 * The event a filtered watcher receives for a change, or undefined: a MODIFIED that makes an
 * object stop matching arrives as DELETED, one that makes it start matching as ADDED, as
 * the API server does. (The DELETED carries the new state; the API server sends the old
 * content with the new resourceVersion. Clients only use its key.)
 */
export function toWatchEvent(change: Change, filter: ObjectFilter): WatchEvent | undefined {
  // Called once per watcher per change: the watchers with the same filter share one answer.
  if (change !== memo.change) {
    memo.change = change;
    memo.events.clear();
  }
  const known = memo.events.get(filter.key);
  if (known !== undefined) return known ?? undefined;
  const event = eventFor(change, filter);
  memo.events.set(filter.key, event ?? null);
  return event;
}

/**
 * The answers for the change being published, by filter key. The store publishes a change to
 * every watcher before the next, so one change's answers are kept, until the next change.
 */
const memo: { change: Change | undefined; events: Map<string, WatchEvent | null> } = { change: undefined, events: new Map() };

function eventFor(change: Change, filter: ObjectFilter): WatchEvent | undefined {
  const now = filter.matches(change.object);
  let type: WatchEventType | undefined;
  if (change.type !== 'MODIFIED') type = now ? change.type : undefined;
  else {
    const before = filter.matches(change.object, change.previousLabels ?? {});
    type = now ? (before ? 'MODIFIED' : 'ADDED') : before ? 'DELETED' : undefined;
  }
  return type === undefined ? undefined : { type, object: change.object, raw: change.json };
}
