// V8 heap settings for the daemon, a long-running process whose memory users read as RSS.
// V8 sizes its heap to the allocation rate: after a burst of writes (10,000 creates) the old
// generation has grown to up to 4× what is live, and the memory reducer gives it back only 8 s
// after the burst ends. These flags grow the old generation by a fixed fraction of what is live
// and start the memory reducer sooner (figures: docs/benchmarks.md, "API server: the read side";
// the choice: docs/decisions.md, "The daemon's heap settings"). V8 reads them when it next sizes
// a space, so setting them at start-up is enough.
//
// The young generation: under a burst of requests V8 doubles its semi-spaces up to 16 MiB each
// (32 MiB of RSS, a third of an idle daemon's), and no GC the daemon can ask for shrinks them
// again (only the memory reducer after seconds of quiet, or a heap snapshot). `--max-semi-space-size`
// is read only when `node` starts (and any start-up flag costs every CLI command Node's code
// cache), and `--semi-space-growth-factor=1` from the start left the young generation at 1 MiB for
// good (the patch rate with 100 watchers halved). So the growth factor is set after each GC from the
// semi-space's size: 2 below YOUNG_GENERATION_CAP_BYTES, 1 at or above it (docs/decisions.md,
// "The young generation capped at run time").
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';

/** The flags, as `node` takes them. */
export const DAEMON_HEAP_FLAGS = [
  // The old generation's limit is 1.3 × what the last full GC found live (V8: 1.1–4× by GC speed).
  '--heap-growing-percent=30',
  // Give memory back 1 s after a burst of allocation, not 8 s.
  '--gc-memory-reducer-start-delay-ms=1000',
] as const;

/**
 * A semi-space at or above this size stops growing. The growth is seen only after the GC that
 * made it, so a semi-space can reach twice this (V8's own maximum is 16 MiB).
 */
export const YOUNG_GENERATION_CAP_BYTES = 4 * 2 ** 20;

/** V8's semi-space growth factor for a semi-space of `semiBytes`: V8's 2 below the cap, 1 (no growth) at or above it. */
export function semiSpaceGrowthFactor(semiBytes: number, capBytes = YOUNG_GENERATION_CAP_BYTES): 1 | 2 {
  return semiBytes < capBytes ? 2 : 1;
}

/** What capYoungGeneration reads and sets (tests pass their own). */
export interface YoungGenerationHooks {
  /** One semi-space's committed bytes now. */
  semiSpaceBytes(): number;
  /** Sets a V8 flag (`v8.setFlagsFromString`). */
  setFlag(flag: string): void;
  /** Calls `after` after each GC; returns a function that stops it. */
  onGc(after: () => void): () => void;
}

const v8Hooks: YoungGenerationHooks = {
  // new_space's committed size counts both semi-spaces.
  semiSpaceBytes: () => (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / 2,
  setFlag: setFlagsFromString,
  onGc(after) {
    const observer = new PerformanceObserver(after);
    observer.observe({ entryTypes: ['gc'] });
    return () => observer.disconnect();
  },
};

/** Keeps the young generation's semi-spaces near `capBytes` by setting V8's growth factor after each GC; returns a function that stops it. */
export function capYoungGeneration(hooks: YoungGenerationHooks = v8Hooks, capBytes = YOUNG_GENERATION_CAP_BYTES): () => void {
  let factor: number | undefined;
  const adjust = (): void => {
    const next = semiSpaceGrowthFactor(hooks.semiSpaceBytes(), capBytes);
    if (next === factor) return;
    factor = next;
    hooks.setFlag(`--semi-space-growth-factor=${next}`);
  };
  adjust();
  return hooks.onGc(adjust);
}

/** Applies DAEMON_HEAP_FLAGS and the young generation's cap to this process; for the daemon's entry point (`pxevirt up`) only. */
export function tuneDaemonHeap(set: (flag: string) => void = setFlagsFromString, young: YoungGenerationHooks = v8Hooks): void {
  for (const flag of DAEMON_HEAP_FLAGS) set(flag);
  capYoungGeneration(young);
}
