// `pxevirt wait TYPE/NAME --for=condition=X | --for=delete | --for=jsonpath='{…}'=V --timeout=60s`.
import { ApiStatusError, UsageError } from '../client/cli-errors.ts';
import { resourcePath, typeName } from '../client/discovery.ts';
import { jsonpathValues, resultText } from '../printers/jsonpath.ts';
import { queryNamespace } from './get.ts';
import { resolveArgs } from './targets.ts';
import { parseDuration, waitFor, type WaitGoal } from './wait-for.ts';
import type { Session } from './session.ts';

type Obj = Record<string, unknown>;

/** Whether the object's status has condition `type` (any case) with `status` (default True). */
export function conditionMet(object: Obj, type: string, status = 'True'): boolean {
  const s = (object.status ?? {}) as { conditions?: { type?: string; status?: string; observedGeneration?: number }[] };
  const generation = (object.metadata as { generation?: number } | undefined)?.generation;
  return (s.conditions ?? []).some(
    (c) =>
      (c.type ?? '').toLowerCase() === type.toLowerCase() &&
      (c.status ?? '').toLowerCase() === status.toLowerCase() &&
      (c.observedGeneration === undefined || generation === undefined || c.observedGeneration === generation),
  );
}

/** Parses `--for`: `delete`, `condition=Ready[=false]`, `jsonpath={.status.phase}[=Running]`, `create`. */
export function parseFor(value: string): WaitGoal {
  if (value.toLowerCase() === 'delete') return { gone: true };
  if (value.toLowerCase() === 'create') return { test: () => true };
  if (value.startsWith('condition=')) {
    const rest = value.slice('condition='.length);
    const eq = rest.indexOf('=');
    const type = eq < 0 ? rest : rest.slice(0, eq);
    const status = eq < 0 ? 'True' : rest.slice(eq + 1);
    if (!type) throw new UsageError('condition name is required');
    return { test: (o) => conditionMet(o, type, status) };
  }
  if (value.startsWith('jsonpath=')) {
    const rest = value.slice('jsonpath='.length);
    const close = rest.lastIndexOf('}');
    const expr = close < 0 ? rest.split('=')[0] ?? '' : rest.slice(0, close + 1);
    const after = rest.slice(expr.length);
    if (after !== '' && !after.startsWith('=')) throw new UsageError(`jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'`);
    const want = after === '' ? undefined : after.slice(1);
    jsonpathValues(expr, {}); // parse errors surface now, not at the first event
    return {
      test: (o) => {
        const values = jsonpathValues(expr, o);
        if (values.length !== 1) return false;
        const v = values[0];
        if (want === undefined) return true;
        return typeof v !== 'object' || v === null ? resultText(v) === want : false;
      },
    };
  }
  throw new UsageError(`unrecognized condition: "${value}"`);
}

export interface WaitOptions {
  for: string;
  timeout?: string;
  allNamespaces?: boolean;
}

/** Runs `wait`; every target in turn, sharing one deadline. */
export async function wait(session: Session, args: readonly string[], options: WaitOptions, now: () => number = Date.now): Promise<void> {
  if (!options.for) throw new UsageError('--for must be set');
  const goal = parseFor(options.for);
  const timeout = parseDuration(options.timeout ?? '30s');
  const deadline = now() + (timeout === 0 ? 0 : timeout);
  const typed = await resolveArgs(session, args);
  for (const t of typed) {
    if (t.names.length === 0) throw new UsageError('resource name may not be empty');
    for (const name of t.names) {
      const target = { info: t.info, namespace: queryNamespace(session, t.info, options.allNamespaces), name };
      let g = goal;
      if (goal.gone) {
        try {
          const live = await session.client.request({ path: resourcePath(t.info, target.namespace, name) });
          const uid = (live.metadata as { uid?: string } | undefined)?.uid;
          g = uid ? { gone: true, uid } : { gone: true };
        } catch (err) {
          if (err instanceof ApiStatusError && err.httpCode === 404) continue;
          throw err;
        }
      }
      await waitFor(session, target, g, deadline, now);
      session.io.out(`${typeName(t.info.kind, t.info.group)}/${name} condition met\n`);
    }
  }
}
