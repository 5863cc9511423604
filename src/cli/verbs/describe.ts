// `pxevirt describe TYPE [NAME…]`: kubectl's generic describer, events included.
import { resourcePath } from '../client/discovery.ts';
import { describeObject, type EventLike } from '../printers/describe.ts';
import { throwCollected } from './create.ts';
import { listAll, queryNamespace } from './get.ts';
import { resolveArgs } from './targets.ts';
import { describeSerialLog } from './logs.ts';
import type { Session } from './session.ts';

type Obj = Record<string, unknown>;

/** The events about one object (undefined when they cannot be read, as kubectl then shows none). */
async function eventsFor(session: Session, object: Obj): Promise<EventLike[] | undefined> {
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string; uid?: string };
  const selector = [`involvedObject.name=${meta.name ?? ''}`, `involvedObject.namespace=${meta.namespace ?? ''}`, ...(meta.uid ? [`involvedObject.uid=${meta.uid}`] : [])].join(',');
  const path = meta.namespace ? `/api/v1/namespaces/${encodeURIComponent(meta.namespace)}/events` : '/api/v1/events';
  try {
    const list = await session.client.request<{ items?: EventLike[] }>({ path, query: { fieldSelector: selector } });
    return list.items ?? [];
  } catch {
    return undefined;
  }
}

/** Runs `describe`. */
export async function describe(session: Session, args: readonly string[], options: { selector?: string; allNamespaces?: boolean }, now: () => number = Date.now): Promise<void> {
  const typed = await resolveArgs(session, args);
  const errors: unknown[] = [];
  let first = true;
  for (const t of typed) {
    const ns = queryNamespace(session, t.info, options.allNamespaces);
    const gv = t.info.group ? `${t.info.group}/${t.info.version}` : t.info.version;
    let objects: Obj[] = [];
    if (t.names.length === 0) {
      objects = (await listAll(session, resourcePath(t.info, ns), { labelSelector: options.selector })).items ?? [];
    } else {
      for (const name of t.names) {
        try {
          objects.push(await session.client.request({ path: resourcePath(t.info, ns, name) }));
        } catch (err) {
          errors.push(err);
        }
      }
    }
    for (const object of objects) {
      const full = { apiVersion: gv, kind: t.info.kind, ...object };
      let text = describeObject(full, await eventsFor(session, full), now());
      // A VMI also shows the end of its serial log.
      if (t.info.kind === 'VirtualMachineInstance' && t.info.group === 'kubevirt.io') text += await describeSerialLog(session, full);
      session.io.out(`${first ? '' : '\n\n'}${text}`);
      first = false;
    }
  }
  throwCollected(errors);
}
