// `pxevirt get -w`: the current rows, then one more row per change, as kubectl prints them.
import { resourcePath } from '../client/discovery.ts';
import { TABLE_ACCEPT, type WatchEvent } from '../client/rest.ts';
import { TablePrinter, type Table, type TableRow } from '../printers/table.ts';
import { listAll, noResourcesMessage, queryNamespace, type GetOptions } from './get.ts';
import { printObjects } from './output.ts';
import type { TypedNames } from './targets.ts';
import type { Session } from './session.ts';

type Obj = Record<string, unknown>;

function selectors(t: TypedNames, options: GetOptions): { labelSelector?: string; fieldSelector?: string } {
  const byName = t.names.length === 1 ? `metadata.name=${t.names[0] ?? ''}` : undefined;
  const fieldSelector = [options.fieldSelector, byName].filter(Boolean).join(',');
  return { ...(options.selector ? { labelSelector: options.selector } : {}), ...(fieldSelector ? { fieldSelector } : {}) };
}

const rowName = (row: TableRow) => `${row.object?.metadata?.namespace ?? ''}/${row.object?.metadata?.name ?? ''}`;

/** Prints the table, then a row per watch event until the server ends the watch or `signal` aborts. */
export async function watchTable(session: Session, t: TypedNames, options: GetOptions, signal?: AbortSignal): Promise<void> {
  const ns = queryNamespace(session, t.info, options.allNamespaces);
  const path = resourcePath(t.info, ns);
  const query = selectors(t, options);
  const printer = new TablePrinter({ wide: options.output === 'wide', withNamespace: Boolean(options.allNamespaces && t.info.namespaced), ...(options.noHeaders ? { noHeaders: true } : {}) });
  const first = await listAll<Table & Obj>(session, path, query, TABLE_ACCEPT);
  const columns = first.columnDefinitions;
  const rows = new Map<string, TableRow>();
  for (const row of first.rows ?? []) rows.set(rowName(row), row);
  const text = printer.print(first);
  if (text) session.io.out(text);
  else session.io.err(noResourcesMessage(ns));
  const rv = (first.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
  const events = session.client.watch({ path, query: { ...query, resourceVersion: rv, allowWatchBookmarks: undefined }, accept: TABLE_ACCEPT, ...(signal ? { signal } : {}) });
  for await (const event of events) {
    const table = await eventTable(session, t, event, rows);
    if (!table) continue;
    for (const row of table.rows ?? []) rows.set(rowName(row), row);
    session.io.out(printer.print({ ...table, columnDefinitions: table.columnDefinitions ?? columns ?? [] }));
  }
}

/** The table row for one event: the server's own when it sent a Table, else fetched (or remembered for deletions). */
async function eventTable(session: Session, t: TypedNames, event: WatchEvent, rows: Map<string, TableRow>): Promise<Table | undefined> {
  if (event.type === 'BOOKMARK' || event.type === 'ERROR') return undefined;
  if (event.object.kind === 'Table') return event.object as Table;
  const meta = (event.object.metadata ?? {}) as { name?: string; namespace?: string };
  if (event.type === 'DELETED') {
    const row = rows.get(`${meta.namespace ?? ''}/${meta.name ?? ''}`);
    return row ? { rows: [row] } : undefined;
  }
  try {
    return await session.client.request<Table>({ path: resourcePath(t.info, meta.namespace, meta.name ?? ''), accept: TABLE_ACCEPT });
  } catch {
    return undefined;
  }
}

/** `get -w -o yaml|json|name|jsonpath`: each object as it changes. */
export async function watchObjects(session: Session, t: TypedNames, options: GetOptions, signal?: AbortSignal): Promise<void> {
  const ns = queryNamespace(session, t.info, options.allNamespaces);
  const path = resourcePath(t.info, ns);
  const query = selectors(t, options);
  const first = await listAll(session, path, query);
  const format = options.output ?? 'yaml';
  const gv = t.info.group ? `${t.info.group}/${t.info.version}` : t.info.version;
  const show = (o: Obj) => {
    if (format === 'yaml') session.io.out('---\n');
    printObjects(session.io, [{ apiVersion: gv, kind: t.info.kind, ...o }], format, false);
  };
  for (const item of first.items ?? []) show(item);
  const rv = (first.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
  for await (const event of session.client.watch({ path, query: { ...query, resourceVersion: rv }, ...(signal ? { signal } : {}) })) {
    if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') show(event.object);
  }
}
