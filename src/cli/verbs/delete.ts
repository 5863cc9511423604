// `pxevirt delete TYPE NAME… | TYPE/NAME | -f FILE | TYPE -l SEL | TYPE --all`: prints
// `<type> "<name>" deleted`, then (like kubectl's default --wait) waits until each is gone.
import { ApiStatusError, UsageError } from '../client/cli-errors.ts';
import { resourcePath, typeName } from '../client/discovery.ts';
import { throwCollected } from './create.ts';
import { listAll, queryNamespace } from './get.ts';
import { readManifests } from './manifests.ts';
import { resolveArgs, resolveManifest } from './targets.ts';
import { waitFor, type WaitTarget } from './wait-for.ts';
import type { Session } from './session.ts';

export interface DeleteOptions {
  filename?: string[];
  selector?: string;
  all?: boolean;
  allNamespaces?: boolean;
  ignoreNotFound?: boolean;
  wait?: boolean;
  gracePeriod?: number;
  now?: boolean;
}

interface Doomed extends WaitTarget {
  source?: string;
}

async function targets(session: Session, args: readonly string[], options: DeleteOptions): Promise<Doomed[]> {
  if (options.filename && options.filename.length > 0) {
    const items = await readManifests(options.filename, () => session.io.readStdin(), 'delete');
    const out: Doomed[] = [];
    for (const item of items) {
      const t = await resolveManifest(session, item);
      out.push({ info: t.info, namespace: t.namespace, name: t.name, source: item.source });
    }
    return out;
  }
  const out: Doomed[] = [];
  for (const t of await resolveArgs(session, args)) {
    const ns = queryNamespace(session, t.info, options.allNamespaces);
    if (t.names.length > 0) {
      for (const name of t.names) out.push({ info: t.info, namespace: ns, name });
      continue;
    }
    if (!options.all && !options.selector) throw new UsageError('resource(s) were provided, but no name was specified');
    const list = await listAll(session, resourcePath(t.info, ns), { labelSelector: options.selector });
    for (const item of list.items ?? []) {
      const meta = (item.metadata ?? {}) as { name?: string; namespace?: string };
      out.push({ info: t.info, namespace: meta.namespace ?? ns, name: meta.name ?? '' });
    }
  }
  return out;
}

/** Runs `delete`. */
export async function del(session: Session, args: readonly string[], options: DeleteOptions): Promise<void> {
  const doomed = await targets(session, args, options);
  if (doomed.length === 0 && !options.filename?.length) {
    session.io.err('No resources found\n');
  }
  const grace = options.now ? 1 : options.gracePeriod !== undefined && options.gracePeriod >= 0 ? options.gracePeriod : undefined;
  const body = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}) };
  const errors: unknown[] = [];
  const deleted: { target: Doomed; uid?: string }[] = [];
  for (const target of doomed) {
    try {
      const res = await session.client.request({ method: 'DELETE', path: resourcePath(target.info, target.namespace, target.name), body });
      session.io.out(`${typeName(target.info.kind, target.info.group)} "${target.name}" deleted\n`);
      // The answer is the object (still terminating) or a Status (already gone).
      const uid = res.kind === 'Status' ? undefined : (res.metadata as { uid?: string } | undefined)?.uid;
      if (res.kind !== 'Status') deleted.push(uid ? { target, uid } : { target });
    } catch (err) {
      if (options.ignoreNotFound && err instanceof ApiStatusError && err.httpCode === 404) continue;
      errors.push(err instanceof ApiStatusError && target.source ? err.withSource('deleting', target.source) : err);
    }
  }
  if (options.wait !== false) {
    // kubectl's default --timeout=0 for delete means "wait a week".
    const deadline = Date.now() + 7 * 24 * 3600 * 1000;
    for (const { target, uid } of deleted) {
      await waitFor(session, target, uid ? { gone: true, uid } : { gone: true }, deadline).catch((err: unknown) => errors.push(err));
    }
  }
  throwCollected(errors);
}
