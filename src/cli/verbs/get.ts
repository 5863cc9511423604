// `pxevirt get TYPE [NAME…]`: server-side Tables printed like kubectl, or objects as
// yaml/json/name/jsonpath; -l, --field-selector, -A, -w.
import { UsageError } from '../client/cli-errors.ts';
import { resourcePath, typeName, type ResourceInfo } from '../client/discovery.ts';
import { TABLE_ACCEPT, type Query } from '../client/rest.ts';
import { TablePrinter, type Table, type TableRow } from '../printers/table.ts';
import { throwCollected } from './create.ts';
import { printObjects } from './output.ts';
import { resolveArgs, type TypedNames } from './targets.ts';
import { watchTable, watchObjects } from './get-watch.ts';
import type { Session } from './session.ts';

type Obj = Record<string, unknown>;

export interface GetOptions {
  output?: string;
  selector?: string;
  fieldSelector?: string;
  allNamespaces?: boolean;
  watch?: boolean;
  noHeaders?: boolean;
}

/** The namespace to query for a type (undefined: all, or cluster-scoped). */
export function queryNamespace(session: Session, info: ResourceInfo, all: boolean | undefined): string | undefined {
  return info.namespaced && !all ? session.namespace : undefined;
}

/** Lists a collection, following `continue` tokens; returns the last page's list with every item. */
export async function listAll<T extends Obj>(session: Session, path: string, query: Query, accept?: string): Promise<T & { items?: Obj[]; rows?: TableRow[] }> {
  let first: (T & { items?: Obj[]; rows?: TableRow[]; metadata?: { continue?: string } }) | undefined;
  let token: string | undefined;
  do {
    const page = await session.client.request<T & { items?: Obj[]; rows?: TableRow[]; metadata?: { continue?: string } }>({
      path,
      query: { ...query, limit: 500, continue: token },
      ...(accept ? { accept } : {}),
    });
    if (!first) first = page;
    else {
      if (page.items) first.items = [...(first.items ?? []), ...page.items];
      if (page.rows) first.rows = [...(first.rows ?? []), ...page.rows];
      if (first.metadata && page.metadata) first.metadata = page.metadata;
    }
    token = page.metadata?.continue || undefined;
  } while (token);
  return first;
}

/** Fetches the objects (plain JSON) one type/names entry asks for, with apiVersion and kind set. */
async function fetchObjects(session: Session, t: TypedNames, options: GetOptions, errors: unknown[]): Promise<Obj[]> {
  const ns = queryNamespace(session, t.info, options.allNamespaces);
  const gv = t.info.group ? `${t.info.group}/${t.info.version}` : t.info.version;
  const stamp = (o: Obj): Obj => ({ apiVersion: gv, kind: t.info.kind, ...o });
  if (t.names.length === 0) {
    const list = await listAll(session, resourcePath(t.info, ns), { labelSelector: options.selector, fieldSelector: options.fieldSelector });
    return (list.items ?? []).map(stamp);
  }
  const out: Obj[] = [];
  for (const name of t.names) {
    try {
      out.push(stamp(await session.client.request({ path: resourcePath(t.info, ns, name) })));
    } catch (err) {
      errors.push(err);
    }
  }
  return out;
}

/** Fetches one type/names entry as a Table. */
async function fetchTable(session: Session, t: TypedNames, options: GetOptions, errors: unknown[]): Promise<Table> {
  const ns = queryNamespace(session, t.info, options.allNamespaces);
  if (t.names.length === 0) {
    return listAll<Table & Obj>(session, resourcePath(t.info, ns), { labelSelector: options.selector, fieldSelector: options.fieldSelector }, TABLE_ACCEPT);
  }
  const table: Table = { rows: [] };
  for (const name of t.names) {
    try {
      const one = await session.client.request<Table>({ path: resourcePath(t.info, ns, name), accept: TABLE_ACCEPT });
      if (!table.columnDefinitions && one.columnDefinitions) table.columnDefinitions = one.columnDefinitions;
      table.rows?.push(...(one.rows ?? []));
    } catch (err) {
      errors.push(err);
    }
  }
  return table;
}

/** The message kubectl prints on stderr when a list is empty. */
export function noResourcesMessage(namespace: string | undefined): string {
  return namespace ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n';
}

/** Runs `get`. */
export async function get(session: Session, args: readonly string[], options: GetOptions): Promise<void> {
  const typed = await resolveArgs(session, args);
  const errors: unknown[] = [];
  const format = options.output;
  if (options.watch) {
    const t = typed[0];
    if (!t) return;
    if (typed.length > 1) throw new UsageError('you may only specify a single resource type');
    if (format && format !== 'wide') await watchObjects(session, t, options);
    else await watchTable(session, t, options);
    return;
  }
  if (format && format !== 'wide') {
    const objects: Obj[] = [];
    for (const t of typed) objects.push(...(await fetchObjects(session, t, options, errors)));
    const asListAlways = typed.length > 1 || typed.some((t) => t.names.length !== 1);
    if (objects.length > 0 || (asListAlways && format !== 'name')) printObjects(session.io, objects, format, asListAlways);
    throwCollected(errors);
    return;
  }
  let printed = 0;
  let emptyNamespace: string | undefined;
  for (const t of typed) {
    const table = await fetchTable(session, t, options, errors);
    const printer = new TablePrinter({
      wide: format === 'wide',
      withNamespace: Boolean(options.allNamespaces && t.info.namespaced),
      ...(options.noHeaders ? { noHeaders: true } : {}),
      ...(typed.length > 1 ? { namePrefix: `${typeName(t.info.kind, t.info.group)}/` } : {}),
    });
    const text = printer.print(table);
    if (text === '') {
      emptyNamespace = queryNamespace(session, t.info, options.allNamespaces);
      continue;
    }
    session.io.out(`${printed > 0 ? '\n' : ''}${text}`);
    printed++;
  }
  if (printed === 0 && errors.length === 0) session.io.err(noResourcesMessage(emptyNamespace));
  throwCollected(errors);
}
