// In-process fan-out of committed changes to watchers, in resourceVersion order. Delivery is
// synchronous right after commit; a listener that writes to the store from its callback
// has its change queued until the current one reached every listener, so no listener ever
// sees changes out of order.
import type { Logger } from '../lib/logger.ts';
import type { ResourceKey } from './types.ts';
import type { Change } from './object-filter.ts';

export type ChangeListener = (change: Change) => void;

const keyOf = (group: string, resource: string) => `${resource}.${group}`;

/** The set of live watchers of one store. */
export class WatchHub {
  readonly #listeners = new Map<string, Set<ChangeListener>>();
  readonly #queue: Change[] = [];
  #draining = false;
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Adds a listener for one resource; returns the function that removes it. */
  subscribe(key: ResourceKey, listener: ChangeListener): () => void {
    const id = keyOf(key.group, key.resource);
    let set = this.#listeners.get(id);
    if (!set) this.#listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(id) === set) this.#listeners.delete(id);
    };
  }

  /** The number of live listeners (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  /** Delivers committed changes to every listener of their resource. */
  publish(changes: readonly Change[]): void {
    this.#queue.push(...changes);
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let change = this.#queue.shift(); change; change = this.#queue.shift()) {
        const set = this.#listeners.get(keyOf(change.group, change.resource));
        if (!set) continue;
        for (const listener of [...set]) {
          if (!set.has(listener)) continue;
          try {
            listener(change);
          } catch (error) {
            // A failing watcher must not fail the write that was already committed: drop it.
            set.delete(listener);
            this.#logger.error({ err: error, resource: change.resource, resourceVersion: change.resourceVersion }, 'watch listener failed; removed');
          }
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Removes every listener (the store is closing). */
  clear(): void {
    this.#listeners.clear();
    this.#queue.length = 0;
  }
}
