// The store's objects in memory, as the JSON written to SQLite (UTF-8 bytes), kept in
// (namespace, name) order per resource: lists, gets and the initial events of a watch are
// served from here (kube-apiserver's watch cache plays this part), while SQLite stays the
// durable copy written first. Holding the bytes rather than parsed objects keeps memory near
// the size of the data, and a list response is the items' bytes copied into one buffer: no
// parse, no serialise, no string to encode (docs/decisions.md, "Stored objects as bytes"). The
// bytes are packed into shared slabs (object-slabs.ts), not a buffer each.
import { ObjectSlabs, type Placed, type Slab } from './object-slabs.ts';

/** An object's key and labels, what ResourceIndex.put takes beside its JSON. */
export interface EntryKey {
  namespace: string;
  name: string;
  /** The object's labels (what label selectors read without parsing the text). */
  labels: Readonly<Record<string, string>> | undefined;
}

/** One object as held in memory: its key and labels, and where its JSON is (object-slabs.ts). */
export class IndexEntry implements EntryKey, Placed {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
  slab: Slab;
  offset: number;
  length: number;

  constructor(key: EntryKey, placed: Placed) {
    this.namespace = key.namespace;
    this.name = key.name;
    this.labels = key.labels;
    this.slab = placed.slab;
    this.offset = placed.offset;
    this.length = placed.length;
  }

  /** The object as stored: its JSON, UTF-8, a view of its slab (never overwritten while held). */
  get bytes(): Buffer {
    return ObjectSlabs.bytes(this);
  }
}

/** A position in (namespace, name) order: items strictly after it are wanted. */
export interface Position {
  namespace: string;
  name: string;
}

const keyOf = (namespace: string, name: string) => `${namespace}\0${name}`;

/** The objects of one resource in (namespace, name) order. */
export class ResourceIndex {
  /** Sorted keys; `\0` sorts first, so a namespace's keys are contiguous and before longer namespaces'. */
  readonly #keys: string[] = [];
  readonly #entries = new Map<string, IndexEntry>();
  readonly #slabs: ObjectSlabs;
  /** The resourceVersion of the newest change to this resource (0 when none is known). */
  lastChange = 0;

  /** `slabs` holds the objects' bytes: a MemoryIndex shares one among its resources; alone, the index has its own. */
  constructor(slabs?: ObjectSlabs) {
    this.#slabs = slabs ?? new ObjectSlabs(() => this.entries());
  }

  get size(): number {
    return this.#keys.length;
  }

  get(namespace: string, name: string): IndexEntry | undefined {
    return this.#entries.get(keyOf(namespace, name));
  }

  /** Adds or replaces an object, `json` being its text as stored. */
  put(key: EntryKey, json: string): IndexEntry {
    const entry = new IndexEntry(key, this.#slabs.place(json));
    const id = keyOf(key.namespace, key.name);
    const previous = this.#entries.get(id);
    if (!previous) this.#keys.splice(this.#firstAtOrAfter(id), 0, id);
    this.#entries.set(id, entry);
    if (previous) this.#slabs.free(previous);
    return entry;
  }

  remove(namespace: string, name: string): void {
    const key = keyOf(namespace, name);
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#keys.splice(this.#firstAtOrAfter(key), 1);
    this.#slabs.free(entry);
  }

  /** Every entry, in no particular order. */
  entries(): IterableIterator<IndexEntry> {
    return this.#entries.values();
  }

  /** Entries after `after`, in order; only `namespace`'s when given. */
  *after(namespace: string | undefined, after: Position): Generator<IndexEntry> {
    const [start, end] = this.#range(namespace, after);
    for (let i = start; i < end; i++) {
      const entry = this.#entries.get(this.#keys[i]!);
      if (entry) yield entry;
    }
  }

  /** How many entries `after` would yield. */
  countAfter(namespace: string | undefined, after: Position): number {
    const [start, end] = this.#range(namespace, after);
    return end - start;
  }

  #range(namespace: string | undefined, after: Position): [number, number] {
    if (namespace === undefined) return [this.#firstAfter(keyOf(after.namespace, after.name)), this.#keys.length];
    if (after.namespace > namespace) return [0, 0];
    const from = after.namespace === namespace ? keyOf(namespace, after.name) : keyOf(namespace, '');
    // Every key of the namespace sorts below `namespace\u0001`.
    return [this.#firstAfter(from), this.#firstAtOrAfter(`${namespace}\u0001`)];
  }

  #firstAtOrAfter(key: string): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #firstAfter(key: string): number {
    const i = this.#firstAtOrAfter(key);
    return this.#keys[i] === key ? i + 1 : i;
  }
}

/** Every resource's index, created on first use. */
export class MemoryIndex {
  readonly #tables = new Map<string, ResourceIndex>();
  readonly slabs = new ObjectSlabs(() => this.#allEntries());

  table(group: string, resource: string): ResourceIndex {
    const id = `${resource}.${group}`;
    let table = this.#tables.get(id);
    if (!table) this.#tables.set(id, (table = new ResourceIndex(this.slabs)));
    return table;
  }

  *#allEntries(): Generator<IndexEntry> {
    for (const table of this.#tables.values()) yield* table.entries();
  }
}
