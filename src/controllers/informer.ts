// The one informer: list a kind, hand every object to the handler as ADDED, then watch from the
// list's resourceVersion; a watch refused with 410 Gone (the version was compacted away) lists
// again and carries on. client-go's reflector in a few lines, for every controller.
import { GoneError } from '../store/errors.ts';
import type { ObjectStore, ResourceKey, StoredObject, WatchEvent } from '../store/types.ts';

/** Lists `key`, replays it to onEvent, and follows it until signal aborts; returns the first list. */
export function inform(store: ObjectStore, key: ResourceKey, onEvent: (e: WatchEvent) => void, signal: AbortSignal): StoredObject[] {
  const listed = store.list(key);
  for (const object of listed.items) onEvent({ type: 'ADDED', object });
  const watchFrom = (rv: string): void => {
    try {
      store.watch(key, { resourceVersion: rv }, onEvent, signal);
    } catch (err) {
      if (!(err instanceof GoneError) || signal.aborted) throw err;
      const again = store.list(key);
      for (const object of again.items) onEvent({ type: 'ADDED', object });
      watchFrom(again.resourceVersion);
    }
  };
  watchFrom(listed.resourceVersion);
  return listed.items;
}
