// V8 heap settings for the daemon, a long-running process whose memory users read as RSS.
// V8 sizes its heap to the allocation rate: after a burst of writes (10,000 creates) the young
// generation has grown to 2 × 16 MiB and the old generation to up to 4× what is live, and the
// memory reducer gives it back only 8 s after the burst ends. These flags keep the young
// generation at its starting size, grow the old one by a fixed fraction of what is live, and
// start the memory reducer sooner (figures: docs/benchmarks.md, "API server: the read side";
// the choice: docs/decisions.md, "The daemon's heap settings"). They are read by V8 when it
// next sizes a space, so setting them at start-up, before the burst, is enough — unlike
// --max-semi-space-size, which V8 reads only when the process starts.
import { setFlagsFromString } from 'node:v8';

/** The flags, as `node` takes them. */
export const DAEMON_HEAP_FLAGS = [
  // The new space stays at its initial 2 × 1 MiB instead of doubling up to 2 × 16 MiB.
  '--semi-space-growth-factor=1',
  // The old generation's limit is 1.3 × what the last full GC found live (V8: 1.1–4× by GC speed).
  '--heap-growing-percent=30',
  // Give memory back 1 s after a burst of allocation, not 8 s.
  '--gc-memory-reducer-start-delay-ms=1000',
] as const;

/** Applies DAEMON_HEAP_FLAGS to this process; for the daemon's entry point (`pxevirt up`) only. */
export function tuneDaemonHeap(set: (flag: string) => void = setFlagsFromString): void {
  for (const flag of DAEMON_HEAP_FLAGS) set(flag);
}
