// The object store on SQLite (better-sqlite3, synchronous): one global resourceVersion
// counter like etcd's revision, objects as JSON, and the last `historyLimit` changes kept
// in an events table for watches that resume from a resourceVersion.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { silentLogger } from '../lib/logger.ts';
import type { Logger } from '../lib/logger.ts';
import type {
  DeleteOptions, ListOptions, ListResult, NewObject, ObjectStore, ResourceKey, StoredObject,
  UpdateOptions, WatchEvent, WatchEventType, WatchOptions,
} from './types.ts';
import { AlreadyExistsError, BadQueryError, ConflictError, GoneError, NotFoundError, UidConflictError } from './errors.ts';
import { applyUpdate, generateName, markDeleting, namespaceOf, readyToRemove, stampCreated, withResourceVersion } from './object-meta.ts';
import { compileFilter, defaultSelectableFields, toWatchEvent } from './object-filter.ts';
import type { Change, SelectableFields } from './object-filter.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { openDatabase, prepareStatements } from './sqlite-schema.ts';
import type { EventRow, ObjectRow, Synchronous } from './sqlite-schema.ts';
import { WatchHub } from './watch-hub.ts';

export interface SqliteStoreOptions {
  /** The database file (created with its directory's permissions when missing). */
  path: string;
  now?: () => Date;
  /** How many changes are kept for watches resuming from a resourceVersion (default 10,000). */
  historyLimit?: number;
  /** FULL (default) fsyncs every commit; NORMAL survives kill -9 but not power loss (see sqlite-schema.ts). */
  synchronous?: Synchronous;
  /** Extra fields a resource can be selected by; defaults to Event's involvedObject.* and friends. */
  selectableFields?: SelectableFields;
  logger?: Logger;
}

type Written<T> = { result: T; changes: Change[] };

const MAX_GENERATE_ATTEMPTS = 8;

/** Opens the store at `options.path`; throws StoreLockedError when another process has it open. */
export function openSqliteStore(options: SqliteStoreOptions): ObjectStore {
  const historyLimit = options.historyLimit ?? 10_000;
  if (!Number.isInteger(historyLimit) || historyLimit < 1) throw new RangeError(`historyLimit must be an integer >= 1: current value is ${historyLimit}`);
  const now = options.now ?? (() => new Date());
  const selectable = options.selectableFields ?? defaultSelectableFields;
  const db = openDatabase(options.path, options.synchronous ?? 'FULL');
  const st = prepareStatements(db);
  const hub = new WatchHub(options.logger ?? silentLogger);

  const currentRv = (): number => st.getRv.get()?.value ?? 0;
  const parse = (row: { json: string }): StoredObject => JSON.parse(row.json) as StoredObject;

  /** Runs `fn` in one immediate transaction, then tells the watchers what it committed. */
  function write<T>(fn: () => Written<T>): T {
    const { result, changes } = db.transaction(fn).immediate();
    if (changes.length > 0) hub.publish(changes);
    return result;
  }

  /** Takes the next resourceVersion, records the change as an event and trims the history. */
  function record(key: ResourceKey, type: WatchEventType, object: StoredObject, previous?: StoredObject): Change {
    const rv = Number(object.metadata.resourceVersion);
    st.setRv.run(rv);
    const previousLabels = type === 'MODIFIED' ? (previous?.metadata.labels ?? {}) : undefined;
    st.insertEvent.run(rv, key.group, key.resource, namespaceOf(object.metadata), object.metadata.name, type, JSON.stringify(object), previousLabels ? JSON.stringify(previousLabels) : null);
    st.trimEvents.run(rv - historyLimit);
    return { resourceVersion: rv, group: key.group, resource: key.resource, type, object, ...(previousLabels ? { previousLabels } : {}) };
  }

  function load(key: ResourceKey, namespace: string, name: string): StoredObject {
    const row = st.getObject.get(key.group, key.resource, namespace, name);
    if (!row) throw new NotFoundError(key, name);
    return parse(row);
  }

  function create(key: ResourceKey, object: NewObject): StoredObject {
    const namespace = namespaceOf(object.metadata);
    const prefix = object.metadata.generateName;
    if (!object.metadata.name && !prefix) throw new BadQueryError('metadata.name', '', 'a name or metadata.generateName');
    return write(() => {
      let name = object.metadata.name;
      for (let attempt = 0; !name; attempt++) {
        const candidate = generateName(prefix ?? '');
        if (!st.getObject.get(key.group, key.resource, namespace, candidate)) name = candidate;
        else if (attempt + 1 >= MAX_GENERATE_ATTEMPTS) throw new AlreadyExistsError(key, candidate);
      }
      if (st.getObject.get(key.group, key.resource, namespace, name)) throw new AlreadyExistsError(key, name);
      const stored = stampCreated(object, { name, uid: randomUUID(), resourceVersion: currentRv() + 1, now: now() });
      st.insertObject.run(key.group, key.resource, namespace, name, stored.metadata.uid, Number(stored.metadata.resourceVersion), JSON.stringify(stored));
      return { result: stored, changes: [record(key, 'ADDED', stored)] };
    });
  }

  function update(key: ResourceKey, object: StoredObject, options: UpdateOptions = {}): StoredObject {
    const namespace = namespaceOf(object.metadata);
    const name = object.metadata.name;
    return write(() => {
      const stored = load(key, namespace, name);
      const expected = options.expectedResourceVersion;
      if (expected && expected !== stored.metadata.resourceVersion) throw new ConflictError(key, name, expected, stored.metadata.resourceVersion);
      if (object.metadata.uid && object.metadata.uid !== stored.metadata.uid) throw new UidConflictError(key, name, object.metadata.uid, stored.metadata.uid);
      const next = applyUpdate(stored, object, options);
      // Nothing changed: no write, no event, the resourceVersion stays (as the API server does).
      if (isDeepStrictEqual(next, stored)) return { result: stored, changes: [] };
      const written = withResourceVersion(next, currentRv() + 1);
      const rv = Number(written.metadata.resourceVersion);
      if (readyToRemove(written)) {
        st.deleteObject.run(key.group, key.resource, namespace, name);
        return { result: written, changes: [record(key, 'DELETED', written)] };
      }
      st.updateObject.run(rv, JSON.stringify(written), key.group, key.resource, namespace, name);
      return { result: written, changes: [record(key, 'MODIFIED', written, stored)] };
    });
  }

  function remove(key: ResourceKey, ns: string | undefined, name: string, options: DeleteOptions = {}): { object: StoredObject; removed: boolean } {
    const namespace = ns ?? '';
    return write<{ object: StoredObject; removed: boolean }>(() => {
      const stored = load(key, namespace, name);
      const { uid, resourceVersion } = options.preconditions ?? {};
      if (uid && uid !== stored.metadata.uid) throw new UidConflictError(key, name, uid, stored.metadata.uid);
      if (resourceVersion && resourceVersion !== stored.metadata.resourceVersion) throw new ConflictError(key, name, resourceVersion, stored.metadata.resourceVersion);
      if ((stored.metadata.finalizers?.length ?? 0) > 0) {
        // Already being deleted: nothing more to do until the finalizers are gone.
        // A second delete may only shorten the grace period (as the API server does).
        const grace = options.gracePeriodSeconds;
        if (stored.metadata.deletionTimestamp) {
          if (grace === undefined || grace >= (stored.metadata.deletionGracePeriodSeconds ?? 0)) return { result: { object: stored, removed: false }, changes: [] };
          const shortened = withResourceVersion({ ...stored, metadata: { ...stored.metadata, deletionGracePeriodSeconds: grace } }, currentRv() + 1);
          st.updateObject.run(Number(shortened.metadata.resourceVersion), JSON.stringify(shortened), key.group, key.resource, namespace, name);
          return { result: { object: shortened, removed: false }, changes: [record(key, 'MODIFIED', shortened, stored)] };
        }
        const marked = withResourceVersion(markDeleting(stored, now(), options.gracePeriodSeconds), currentRv() + 1);
        st.updateObject.run(Number(marked.metadata.resourceVersion), JSON.stringify(marked), key.group, key.resource, namespace, name);
        return { result: { object: marked, removed: false }, changes: [record(key, 'MODIFIED', marked, stored)] };
      }
      const last = withResourceVersion(stored, currentRv() + 1);
      st.deleteObject.run(key.group, key.resource, namespace, name);
      return { result: { object: last, removed: true }, changes: [record(key, 'DELETED', last)] };
    });
  }

  /** Rows of one resource after a key, in (namespace, name) order, optionally in one namespace. */
  function rowsAfter(key: ResourceKey, namespace: string | undefined, after: { namespace: string; name: string }): Iterable<ObjectRow> {
    if (namespace === undefined) return st.listAll.iterate(key.group, key.resource, after.namespace, after.name);
    if (after.namespace > namespace) return [];
    return st.listNamespace.iterate(key.group, key.resource, namespace, after.namespace === namespace ? after.name : '');
  }

  function countAfter(key: ResourceKey, namespace: string | undefined, after: { namespace: string; name: string }): number {
    const row = namespace === undefined
      ? st.countAll.get(key.group, key.resource, after.namespace, after.name)
      : st.countNamespace.get(key.group, key.resource, namespace, after.name);
    return row?.n ?? 0;
  }

  function list(key: ResourceKey, options: ListOptions = {}): ListResult {
    const filter = compileFilter(options, selectable(key));
    const limit = options.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0) throw new BadQueryError('limit', String(limit), 'a non-negative integer');
    let after = { namespace: '', name: '' };
    let resourceVersion = String(currentRv());
    if (options.continue) {
      const token = decodeContinue(options.continue);
      after = token;
      resourceVersion = token.resourceVersion;
    }
    const selecting = filter.labels.length > 0 || filter.fields.length > 0;
    const items: StoredObject[] = [];
    let more = false;
    for (const row of rowsAfter(key, filter.namespace, after)) {
      const object = parse(row);
      if (!filter.matches(object)) continue;
      if (limit > 0 && items.length === limit) {
        more = true;
        break;
      }
      items.push(object);
    }
    const result: ListResult = { items, resourceVersion };
    const last = items[items.length - 1];
    if (more && last) {
      const position = { namespace: namespaceOf(last.metadata), name: last.metadata.name };
      result.continue = encodeContinue({ resourceVersion, ...position });
      // Like the API server, an exact count only without selectors (it would mean reading every row).
      if (!selecting) result.remainingItemCount = countAfter(key, filter.namespace, position);
    }
    return result;
  }

  function watch(key: ResourceKey, options: WatchOptions, onEvent: (event: WatchEvent) => void, signal: AbortSignal): void {
    if (signal.aborted) return;
    const filter = compileFilter(options, selectable(key));
    const requested = options.resourceVersion;
    const fromStart = requested === undefined || requested === '' || requested === '0';
    let last = 0;
    if (!fromStart) {
      if (!/^\d+$/.test(requested)) throw new BadQueryError('resourceVersion', requested, 'a resourceVersion from a list or watch');
      last = Number(requested);
      const oldest = st.oldestEvent.get()?.rv;
      // Changes after `compacted` are all in the history.
      const compacted = oldest === null || oldest === undefined ? currentRv() : oldest - 1;
      if (last < compacted) throw new GoneError(requested, String(compacted));
    }
    // Subscribe before reading, and hold live changes back until the replay is delivered:
    // a callback that writes must not lose or reorder events.
    let replaying = true;
    const pending: Change[] = [];
    const deliver = (change: Change): void => {
      if (signal.aborted || change.resourceVersion <= last) return;
      last = change.resourceVersion;
      const event = toWatchEvent(change, filter);
      if (event) onEvent(event);
    };
    const unsubscribe = hub.subscribe(key, (change) => (replaying ? pending.push(change) : deliver(change)));
    signal.addEventListener('abort', unsubscribe, { once: true });
    try {
      if (fromStart) {
        const snapshot = currentRv();
        const rows = [...rowsAfter(key, filter.namespace, { namespace: '', name: '' })];
        for (const row of rows) {
          const object = parse(row);
          if (!signal.aborted && filter.matches(object)) onEvent({ type: 'ADDED', object });
        }
        last = Math.max(last, snapshot);
      } else {
        for (const row of st.eventsAfter.all(key.group, key.resource, last)) deliver(changeOf(key, row));
      }
      for (let change = pending.shift(); change; change = pending.shift()) deliver(change);
      replaying = false;
    } catch (error) {
      unsubscribe();
      signal.removeEventListener('abort', unsubscribe);
      throw error;
    }
  }

  return {
    create,
    get: (key, namespace, name) => load(key, namespace ?? '', name),
    list,
    update,
    delete: remove,
    watch,
    currentResourceVersion: () => String(currentRv()),
    close() {
      hub.clear();
      if (db.open) db.close();
    },
  };
}

function changeOf(key: ResourceKey, row: EventRow): Change {
  const change: Change = { resourceVersion: row.rv, group: key.group, resource: key.resource, type: row.type as WatchEventType, object: JSON.parse(row.json) as StoredObject };
  if (row.prev_labels !== null) change.previousLabels = JSON.parse(row.prev_labels) as Record<string, string>;
  return change;
}
