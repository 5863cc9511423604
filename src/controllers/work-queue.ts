// A keyed work queue: one run per key at a time (a key added while it runs runs once more
// afterwards), failures retried with exponential backoff, delayed adds for requeue-after.
import type { Logger } from '../lib/logger.ts';

export interface WorkQueueOptions {
  /** Processes one key; a throw retries it with backoff. */
  process: (key: string) => Promise<void>;
  log: Logger;
  /** First retry delay (ms); doubles per failure up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface WorkQueue {
  add(key: string): void;
  addAfter(key: string, ms: number): void;
  /** Resolves when nothing runs and nothing is queued (timers aside). */
  idle(): Promise<void>;
  /** Stops taking work; resolves when the runs under way end. */
  stop(): Promise<void>;
}

/** Creates the queue. */
export function createWorkQueue(options: WorkQueueOptions): WorkQueue {
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 30_000;
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms).unref());
  const clearTimer = options.clearTimer ?? ((h: unknown) => clearTimeout(h as NodeJS.Timeout));
  const running = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  const failures = new Map<string, number>();
  const timers = new Map<string, unknown>();
  let stopped = false;
  let idleWaiters: Array<() => void> = [];

  const checkIdle = (): void => {
    if (running.size > 0 || dirty.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const run = (key: string): void => {
    if (stopped) return;
    if (running.has(key)) {
      dirty.add(key);
      return;
    }
    dirty.delete(key);
    const p = (async () => {
      // Yield first so `running` holds the key before process() runs: a watch event fired
      // synchronously by process()'s own writes must mark the key dirty, not start a second run.
      await Promise.resolve();
      try {
        await options.process(key);
        failures.delete(key);
      } catch (err) {
        const n = (failures.get(key) ?? 0) + 1;
        failures.set(key, n);
        const delay = Math.min(max, base * 2 ** (n - 1));
        options.log.warn({ key, attempt: n, retryInMs: delay, err: err instanceof Error ? err.message : String(err) }, 'reconcile failed');
        addAfter(key, delay);
      }
    })().finally(() => {
      running.delete(key);
      if (dirty.has(key)) run(key);
      checkIdle();
    });
    running.set(key, p);
  };

  const addAfter = (key: string, ms: number): void => {
    if (stopped) return;
    const existing = timers.get(key);
    if (existing !== undefined) clearTimer(existing);
    timers.set(
      key,
      setTimer(() => {
        timers.delete(key);
        run(key);
      }, ms),
    );
  };

  return {
    add: (key) => run(key),
    addAfter,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      }),
    stop: async () => {
      stopped = true;
      for (const t of timers.values()) clearTimer(t);
      timers.clear();
      dirty.clear();
      await Promise.allSettled([...running.values()]);
      checkIdle();
    },
  };
}
