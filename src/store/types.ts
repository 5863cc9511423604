// The object store's contract: what the API server and the controllers rely on. The
// SQLite implementation is in sqlite-store.ts; errors are in errors.ts.

/** Kubernetes object metadata, as stored. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<Record<string, unknown>>;
  managedFields?: Array<Record<string, unknown>>;
}

/** Any stored object: apiVersion, kind, metadata and the kind's own fields. */
export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** An object as given to create: the store fills in uid, resourceVersion, generation and timestamps. */
export interface NewObject {
  apiVersion: string;
  kind: string;
  metadata: Partial<ObjectMeta> & { name: string };
  [field: string]: unknown;
}

/** Which collection: the API group ('' for core) and the plural resource name. */
export interface ResourceKey {
  group: string;
  resource: string;
}

export interface ListOptions {
  /** Only this namespace; undefined lists all namespaces (or a cluster-scoped kind). */
  namespace?: string;
  /** Kubernetes label selector syntax: `a=b,c!=d,e in (f,g),!h,i`. */
  labelSelector?: string;
  /** `metadata.name=x`, `metadata.namespace=y` (`=`, `==`, `!=`). */
  fieldSelector?: string;
  /** Page size; 0 or undefined returns everything. */
  limit?: number;
  /** The opaque token from the previous page. */
  continue?: string;
}

export interface ListResult {
  items: StoredObject[];
  /** The store's resourceVersion at the time of the list (a watch can start from it). */
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  /** Shared by every watcher of the change: read it, never change it. */
  object: StoredObject;
  /** `object` as JSON, as stored (so a watcher need not serialise it again). */
  raw?: string;
}

/** A list whose items are the stored JSON, UTF-8 (a response is assembled without parsing or encoding them). */
export interface RawListResult extends Omit<ListResult, 'items'> {
  /** Shared with the store: read them, never change them. */
  items: Buffer[];
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Start after this resourceVersion: events newer than it are replayed first. Undefined or
   * "0" starts with ADDED for every current object (like a list), then live events.
   * Too old (compacted away) → GoneError.
   */
  resourceVersion?: string;
}

export interface UpdateOptions {
  /** When set, the update fails with ConflictError unless the stored object has this resourceVersion. */
  expectedResourceVersion?: string;
  /** 'status' writes only `.status` (and keeps the rest); undefined writes the object (see preserveStatus). */
  subresource?: 'status';
  /**
   * With no subresource: keep the stored `.status` and ignore the incoming one (kinds with a
   * status subresource). Unset, a normal update writes `.status` too (kinds without one).
   */
  preserveStatus?: boolean;
}

export interface DeleteOptions {
  /** Fails with ConflictError unless the stored object has this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Recorded as metadata.deletionGracePeriodSeconds when finalizers keep the object (default 0). */
  gracePeriodSeconds?: number;
}

/**
 * The store. A write is visible to reads and in-process watchers when it returns, and survives
 * kill -9 from then on; it survives a power loss once durable() settles, and only then may it be
 * acknowledged outside the process (an HTTP response, a watch event sent to a client).
 */
export interface ObjectStore {
  /** Creates an object; AlreadyExistsError when the name is taken in that namespace. */
  create(key: ResourceKey, object: NewObject): StoredObject;
  /** The object, or NotFoundError. */
  get(key: ResourceKey, namespace: string | undefined, name: string): StoredObject;
  list(key: ResourceKey, options?: ListOptions): ListResult;
  /** The same list, each item the object's stored JSON. */
  listRaw(key: ResourceKey, options?: ListOptions): RawListResult;
  /**
   * Replaces an object (NotFoundError, ConflictError). uid and creationTimestamp are kept;
   * generation increases when anything but metadata and status changed.
   */
  update(key: ResourceKey, object: StoredObject, options?: UpdateOptions): StoredObject;
  /**
   * Deletes: with finalizers, sets deletionTimestamp and returns the object (it is removed by
   * the update that empties its finalizers); without, removes it and returns its last state.
   */
  delete(key: ResourceKey, namespace: string | undefined, name: string, options?: DeleteOptions): { object: StoredObject; removed: boolean };
  /** Streams events to `onEvent` until `signal` aborts. Throws GoneError synchronously when resourceVersion is too old. */
  watch(key: ResourceKey, options: WatchOptions, onEvent: (event: WatchEvent) => void, signal: AbortSignal): void;
  /** The newest resourceVersion written. */
  currentResourceVersion(): string;
  /** This database's identity (a UUID made when it was created); guests started from it record it. */
  identity(): string;
  /** The resourceVersion of the newest change to one resource ('0' when none is known). */
  lastChangeOf(key: ResourceKey): string;
  /** Settles once every write made so far is synced to disk (rejects with DurabilityError when the sync fails); undefined when they all are. */
  durable(): Promise<void> | undefined;
  close(): void;
}
