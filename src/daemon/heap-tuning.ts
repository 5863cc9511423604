// V8 heap settings for the daemon, a long-running process whose memory users read as RSS.
// V8 sizes its heap to the allocation rate: after a burst of writes (10,000 creates) the old
// generation has grown to up to 4× what is live, and the memory reducer gives it back only 8 s
// after the burst ends. These flags grow the old generation by a fixed fraction of what is live
// and start the memory reducer sooner (figures: docs/benchmarks.md, "API server: the read side";
// the choice: docs/decisions.md, "The daemon's heap settings"). V8 reads them when it next sizes
// a space, so setting them at start-up is enough. The young generation is left to V8: keeping it
// small (--semi-space-growth-factor=1) halved the patch rate with 100 watchers.
import { setFlagsFromString } from 'node:v8';

/** The flags, as `node` takes them. */
export const DAEMON_HEAP_FLAGS = [
  // The old generation's limit is 1.3 × what the last full GC found live (V8: 1.1–4× by GC speed).
  '--heap-growing-percent=30',
  // Give memory back 1 s after a burst of allocation, not 8 s.
  '--gc-memory-reducer-start-delay-ms=1000',
] as const;

/** Applies DAEMON_HEAP_FLAGS to this process; for the daemon's entry point (`pxevirt up`) only. */
export function tuneDaemonHeap(set: (flag: string) => void = setFlagsFromString): void {
  for (const flag of DAEMON_HEAP_FLAGS) set(flag);
}
