// The object store on SQLite (better-sqlite3, synchronous): one global resourceVersion
// counter like etcd's revision, objects as JSON, and the last `historyLimit` changes kept
// in an events table for watches that resume from a resourceVersion. Reads are served from
// a copy in memory (memory-index.ts), updated right after each commit: a write is durable
// before any reader or watcher sees it.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { silentLogger } from '../lib/logger.ts';
import type { Logger } from '../lib/logger.ts';
import type {
  DeleteOptions, ListOptions, ListResult, NewObject, ObjectStore, RawListResult, ResourceKey, StoredObject,
  UpdateOptions, WatchEvent, WatchEventType, WatchOptions,
} from './types.ts';
import { AlreadyExistsError, BadQueryError, ConflictError, GoneError, NotFoundError, UidConflictError } from './errors.ts';
import { applyUpdate, generateName, markDeleting, namespaceOf, readyToRemove, stampCreated, withResourceVersion } from './object-meta.ts';
import { compileFilter, defaultSelectableFields, toWatchEvent } from './object-filter.ts';
import { matchesLabels } from './selectors.ts';
import type { Change, SelectableFields } from './object-filter.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { openDatabase, prepareStatements } from './sqlite-schema.ts';
import type { EventRow, Synchronous } from './sqlite-schema.ts';
import { WatchHub } from './watch-hub.ts';
import { GroupCommit } from './group-commit.ts';
import { MemoryIndex, type IndexEntry } from './memory-index.ts';

export interface SqliteStoreOptions {
  /** The database file (created with its directory's permissions when missing). */
  path: string;
  now?: () => Date;
  /** How many changes are kept for watches resuming from a resourceVersion (default 10,000). */
  historyLimit?: number;
  /**
   * GROUP (default): one sync per batch of commits, and durable() says when a write may be
   * acknowledged; FULL syncs every commit before it returns; NORMAL survives kill -9 but not
   * power loss (see sqlite-schema.ts).
   */
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
  const synchronous = options.synchronous ?? 'GROUP';
  const db = openDatabase(options.path, synchronous);
  const group = synchronous === 'GROUP' ? new GroupCommit(options.path, options.logger ?? silentLogger) : undefined;
  // This database's identity, made once: guests record it, so a daemon reaps only its own.
  db.prepare('INSERT OR IGNORE INTO identity (id) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM identity)').run(randomUUID());
  const storeId = (db.prepare('SELECT id FROM identity LIMIT 1').get() as { id: string }).id;
  const st = prepareStatements(db);
  const hub = new WatchHub(options.logger ?? silentLogger);
  const memory = new MemoryIndex();
  for (const row of st.allObjects.iterate()) {
    const object = JSON.parse(row.json) as StoredObject;
    const table = memory.table(row.group, row.resource);
    table.put({ namespace: row.namespace, name: row.name, labels: object.metadata.labels }, row.json);
    table.lastChange = Math.max(table.lastChange, Number(object.metadata.resourceVersion));
  }
  for (const row of st.lastEvents.iterate()) {
    const table = memory.table(row.group, row.resource);
    table.lastChange = Math.max(table.lastChange, row.rv);
  }

  const currentRv = (): number => st.getRv.get()?.value ?? 0;
  const parse = (entry: IndexEntry): StoredObject => JSON.parse(entry.bytes.toString()) as StoredObject;

  /** Runs `fn` in one immediate transaction, then tells the watchers what it committed. */
  function write<T>(fn: () => Written<T>): T {
    const { result, changes } = db.transaction(fn).immediate();
    if (changes.length > 0) group?.committed();
    for (const c of changes) {
      const table = memory.table(c.group, c.resource);
      table.lastChange = c.resourceVersion;
      const namespace = namespaceOf(c.object.metadata);
      if (c.type === 'DELETED') table.remove(namespace, c.object.metadata.name);
      else table.put({ namespace, name: c.object.metadata.name, labels: c.object.metadata.labels }, c.json);
    }
    if (changes.length > 0) hub.publish(changes);
    return result;
  }

  /** Takes the next resourceVersion, records the change as an event and trims the history. */
  function record(key: ResourceKey, type: WatchEventType, object: StoredObject, previous?: StoredObject): Change {
    const rv = Number(object.metadata.resourceVersion);
    st.setRv.run(rv);
    const previousLabels = type === 'MODIFIED' ? (previous?.metadata.labels ?? {}) : undefined;
    const json = JSON.stringify(object);
    st.insertEvent.run(rv, key.group, key.resource, namespaceOf(object.metadata), object.metadata.name, type, json, previousLabels ? JSON.stringify(previousLabels) : null);
    st.trimEvents.run(rv - historyLimit);
    return { resourceVersion: rv, group: key.group, resource: key.resource, type, object, json, ...(previousLabels ? { previousLabels } : {}) };
  }

  function load(key: ResourceKey, namespace: string, name: string): StoredObject {
    const entry = memory.table(key.group, key.resource).get(namespace, name);
    if (!entry) throw new NotFoundError(key, name);
    return parse(entry);
  }
  const exists = (key: ResourceKey, namespace: string, name: string) => memory.table(key.group, key.resource).get(namespace, name) !== undefined;

  function create(key: ResourceKey, object: NewObject): StoredObject {
    const namespace = namespaceOf(object.metadata);
    const prefix = object.metadata.generateName;
    if (!object.metadata.name && !prefix) throw new BadQueryError('metadata.name', '', 'a name or metadata.generateName');
    return write(() => {
      let name = object.metadata.name;
      for (let attempt = 0; !name; attempt++) {
        const candidate = generateName(prefix ?? '');
        if (!exists(key, namespace, candidate)) name = candidate;
        else if (attempt + 1 >= MAX_GENERATE_ATTEMPTS) throw new AlreadyExistsError(key, candidate);
      }
      if (exists(key, namespace, name)) throw new AlreadyExistsError(key, name);
      const stored = stampCreated(object, { name, uid: randomUUID(), resourceVersion: currentRv() + 1, now: now() });
      const change = record(key, 'ADDED', stored);
      st.insertObject.run(key.group, key.resource, namespace, name, stored.metadata.uid, Number(stored.metadata.resourceVersion), change.json);
      return { result: stored, changes: [change] };
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
      const change = record(key, 'MODIFIED', written, stored);
      st.updateObject.run(rv, change.json, key.group, key.resource, namespace, name);
      return { result: written, changes: [change] };
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
          const change = record(key, 'MODIFIED', shortened, stored);
          st.updateObject.run(Number(shortened.metadata.resourceVersion), change.json, key.group, key.resource, namespace, name);
          return { result: { object: shortened, removed: false }, changes: [change] };
        }
        const marked = withResourceVersion(markDeleting(stored, now(), options.gracePeriodSeconds), currentRv() + 1);
        const change = record(key, 'MODIFIED', marked, stored);
        st.updateObject.run(Number(marked.metadata.resourceVersion), change.json, key.group, key.resource, namespace, name);
        return { result: { object: marked, removed: false }, changes: [change] };
      }
      const last = withResourceVersion(stored, currentRv() + 1);
      st.deleteObject.run(key.group, key.resource, namespace, name);
      return { result: { object: last, removed: true }, changes: [record(key, 'DELETED', last)] };
    });
  }

  /** The entries a list selects, from memory (namespace range, then label and field selectors). */
  function select(key: ResourceKey, options: ListOptions): { entries: IndexEntry[]; resourceVersion: string; continue?: string; remainingItemCount?: number } {
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
    const table = memory.table(key.group, key.resource);
    const byFields = filter.fields.length > 0;
    const entries: IndexEntry[] = [];
    let more = false;
    for (const entry of table.after(filter.namespace, after)) {
      if (!matchesLabels(filter.labels, entry.labels)) continue;
      if (byFields && !filter.matches(parse(entry))) continue;
      if (limit > 0 && entries.length === limit) {
        more = true;
        break;
      }
      entries.push(entry);
    }
    const last = entries[entries.length - 1];
    if (!more || !last) return { entries, resourceVersion };
    const position = { namespace: last.namespace, name: last.name };
    // Like the API server, an exact count only without selectors.
    const selecting = filter.labels.length > 0 || byFields;
    return {
      entries,
      resourceVersion,
      continue: encodeContinue({ resourceVersion, ...position }),
      ...(selecting ? {} : { remainingItemCount: table.countAfter(filter.namespace, position) }),
    };
  }

  function list(key: ResourceKey, options: ListOptions = {}): ListResult {
    const { entries, ...rest } = select(key, options);
    return { items: entries.map(parse), ...rest };
  }

  function listRaw(key: ResourceKey, options: ListOptions = {}): RawListResult {
    const { entries, ...rest } = select(key, options);
    return { items: entries.map((e) => e.bytes), ...rest };
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
    let stopped = false;
    const pending: Change[] = [];
    const deliver = (change: Change): void => {
      // A flag rather than signal.aborted: this runs once per watcher per change.
      if (stopped || change.resourceVersion <= last) return;
      last = change.resourceVersion;
      const event = toWatchEvent(change, filter);
      if (event) onEvent(event);
    };
    const unsubscribeHub = hub.subscribe(key, (change) => (replaying ? pending.push(change) : deliver(change)));
    const unsubscribe = () => {
      stopped = true;
      unsubscribeHub();
    };
    signal.addEventListener('abort', unsubscribe, { once: true });
    try {
      if (fromStart) {
        const snapshot = currentRv();
        const entries = [...memory.table(key.group, key.resource).after(filter.namespace, { namespace: '', name: '' })];
        for (const entry of entries) {
          if (signal.aborted || !matchesLabels(filter.labels, entry.labels)) continue;
          const raw = entry.bytes.toString();
          const object = JSON.parse(raw) as StoredObject;
          if (filter.matches(object)) onEvent({ type: 'ADDED', object, raw });
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
    listRaw,
    update,
    delete: remove,
    watch,
    currentResourceVersion: () => String(currentRv()),
    identity: () => storeId,
    lastChangeOf: (key) => String(memory.table(key.group, key.resource).lastChange),
    durable: () => group?.durable(),
    close() {
      hub.clear();
      group?.close();
      if (db.open) db.close();
    },
  };
}

function changeOf(key: ResourceKey, row: EventRow): Change {
  const change: Change = { resourceVersion: row.rv, group: key.group, resource: key.resource, type: row.type as WatchEventType, object: JSON.parse(row.json) as StoredObject, json: row.json };
  if (row.prev_labels !== null) change.previousLabels = JSON.parse(row.prev_labels) as Record<string, string>;
  return change;
}
