// Table responses (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): Name first, then
// the kind's printer columns, ages rendered as the API server renders them.
import type { KindInfo, PrinterColumn } from '../resources/kind.ts';
import type { StoredObject } from '../store/types.ts';
import { ageOf } from '../lib/duration.ts';
import { evaluateJsonPath } from './jsonpath.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRequest {
  /** meta.k8s.io version to answer with: v1 or v1beta1. */
  version: 'v1' | 'v1beta1';
  includeObject: IncludeObject;
}

/** Whether the Accept header asks for a Table, and which version. */
export function wantsTable(accept: string | undefined, includeObject: string | null): TableRequest | undefined {
  if (!accept) return undefined;
  for (const entry of accept.split(',')) {
    const params = new Map(
      entry.split(';').slice(1).map((p) => {
        const [k, v] = p.split('=');
        return [k?.trim() ?? '', v?.trim() ?? ''] as const;
      }),
    );
    if (params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io') {
      const version = params.get('v') === 'v1beta1' ? 'v1beta1' : 'v1';
      const include = includeObject === 'None' || includeObject === 'Object' ? includeObject : 'Metadata';
      return { version, includeObject: include };
    }
  }
  return undefined;
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/** The kind's columns after Name (Age alone when the kind declares none). */
export const columnsOf = (kind: KindInfo): PrinterColumn[] => (kind.printerColumns.length > 0 ? kind.printerColumns : [AGE]);

/** One cell: dates as ages, numbers and booleans as they are, lists joined with commas; missing → null. */
export function cellOf(object: unknown, column: PrinterColumn, now: number): unknown {
  if (column.value) return column.value(object as Record<string, unknown>);
  let values: unknown[];
  try {
    values = evaluateJsonPath(object, column.jsonPath);
  } catch {
    return null;
  }
  if (values.length === 0) return null;
  if (column.type === 'date') return ageOf(values[0], now);
  if (values.length === 1) {
    const v = values[0];
    if (column.type === 'integer' || column.type === 'number' || column.type === 'boolean') return v;
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(',');
}

/** Renders objects as a meta.k8s.io Table. */
export function renderTable(
  kind: KindInfo,
  objects: StoredObject[],
  request: TableRequest,
  now: number,
  listMeta: Record<string, unknown> = {},
): Record<string, unknown> {
  const columns = columnsOf(kind);
  const apiVersion = `meta.k8s.io/${request.version}`;
  // Events print like the API server's: no leading Name (it is a wide column), Object as kind/name.
  const isEvent = kind.group === '' && kind.kind === 'Event';
  const nameColumn = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: isEvent ? 1 : 0 };
  const definitions = columns.map((c) => ({ name: c.name, type: c.type, format: '', description: c.description ?? '', priority: c.priority ?? 0 }));
  const cell = (object: StoredObject, c: PrinterColumn): unknown => {
    if (isEvent && c.name === 'Object') {
      const involved = (object.involvedObject ?? {}) as { kind?: string; name?: string };
      return `${(involved.kind ?? '').toLowerCase()}/${involved.name ?? ''}`;
    }
    return cellOf(object, c, now);
  };
  return {
    kind: 'Table',
    apiVersion,
    metadata: listMeta,
    columnDefinitions: isEvent ? [...definitions, nameColumn] : [nameColumn, ...definitions],
    rows: objects.map((object) => ({
      cells: isEvent ? [...columns.map((c) => cell(object, c)), object.metadata.name] : [object.metadata.name, ...columns.map((c) => cell(object, c))],
      ...(request.includeObject === 'None'
        ? {}
        : { object: request.includeObject === 'Object' ? object : { kind: 'PartialObjectMetadata', apiVersion, metadata: object.metadata } }),
    })),
  };
}
