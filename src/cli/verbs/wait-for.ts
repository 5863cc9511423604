// Waiting on one object by watching it: until a predicate holds, it is gone, or a deadline.
import { ApiStatusError, WaitTimeoutError } from '../client/cli-errors.ts';
import { resourcePath, type ResourceInfo } from '../client/discovery.ts';
import type { Session } from './session.ts';

type Obj = Record<string, unknown>;

export interface WaitTarget {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string;
}

/** What to wait for: `gone` (deletion) or a predicate on the object. */
export type WaitGoal = { gone: true; uid?: string } | { gone?: false; test: (object: Obj) => boolean };

/** Parses Go durations as kubectl's --timeout takes them (`30s`, `1m30s`, `2h`, `0`); milliseconds. */
export function parseDuration(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * (units[m[2] ?? 's'] ?? 1000);
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || text === '') throw new Error(`invalid duration "${text}": expected a number with a unit, such as 30s or 1m`);
  return total;
}

const uidOf = (o: Obj) => (o.metadata as { uid?: string } | undefined)?.uid;

/**
 * Resolves with the object once the goal holds (undefined when it is gone); throws
 * WaitTimeoutError at the deadline, ApiStatusError when the object does not exist and the goal is not deletion.
 */
export async function waitFor(session: Session, target: WaitTarget, goal: WaitGoal, deadline: number, now: () => number = Date.now): Promise<Obj | undefined> {
  const path = resourcePath(target.info, target.namespace, target.name);
  const collection = resourcePath(target.info, target.namespace);
  const timeoutName = `${target.info.resource}/${target.name}`;
  const met = (o: Obj) => (goal.gone ? goal.uid !== undefined && uidOf(o) !== goal.uid : goal.test(o));
  for (;;) {
    let object: Obj;
    try {
      object = await session.client.request({ path });
    } catch (err) {
      if (goal.gone && err instanceof ApiStatusError && err.httpCode === 404) return undefined;
      throw err;
    }
    if (met(object)) return object;
    const left = deadline - now();
    if (left <= 0) throw new WaitTimeoutError(timeoutName);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), left);
    try {
      const rv = (object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      const events = session.client.watch({ path: collection, query: { fieldSelector: `metadata.name=${target.name}`, resourceVersion: rv }, signal: abort.signal });
      for await (const event of events) {
        if (event.type === 'DELETED' && goal.gone) return undefined;
        if (event.type === 'ERROR') break; // e.g. 410 Gone: read the object again
        if ((event.type === 'ADDED' || event.type === 'MODIFIED') && met(event.object)) return event.object;
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
    if (now() >= deadline) throw new WaitTimeoutError(timeoutName);
  }
}
