// -o yaml|json|name|jsonpath=… for any verb that prints objects.
import { UsageError } from '../client/cli-errors.ts';
import { jsonpath } from '../printers/jsonpath.ts';
import { asList, objectName, toJson, toYaml } from '../printers/serialize.ts';
import type { Io } from './session.ts';

export type OutputFormat = string;

/** Checks an -o value; returns it without a leading `=` (from `-o=yaml`). */
export function parseOutput(value: string | undefined, allowed: readonly string[] = ['yaml', 'json', 'name', 'wide', 'jsonpath']): string | undefined {
  if (value === undefined) return undefined;
  const v = value.replace(/^=/, '');
  const base = v.split('=')[0] ?? '';
  if (!allowed.includes(base)) {
    throw new UsageError(`unable to match a printer suitable for the output format "${v}", allowed formats are: ${allowed.map((a) => (a === 'jsonpath' ? 'jsonpath,jsonpath-as-json,jsonpath-file' : a)).join(',')}`);
  }
  if (base === 'jsonpath' && !v.includes('=')) throw new UsageError('template format specified but no template given');
  return v;
}

/** The object without metadata.managedFields: kubectl's JSON and YAML leave them out unless --show-managed-fields. */
function withoutManagedFields(o: Record<string, unknown>): Record<string, unknown> {
  const meta = o.metadata as Record<string, unknown> | undefined;
  if (!meta || !('managedFields' in meta)) return o;
  const { managedFields: _dropped, ...rest } = meta;
  return { ...o, metadata: rest };
}

/** Prints objects in a non-table format; several (or `asList`) as a kubectl List. */
export function printObjects(io: Io, objects: readonly Record<string, unknown>[], format: OutputFormat, asListAlways: boolean, showManagedFields = false): void {
  const single = objects.length === 1 && !asListAlways;
  const shown = format === 'yaml' || format === 'json' ? (showManagedFields ? objects : objects.map(withoutManagedFields)) : objects;
  const data = single ? shown[0] : asList(shown);
  if (format === 'yaml') io.out(toYaml(data));
  else if (format === 'json') io.out(toJson(data));
  else if (format === 'name') for (const o of objects) io.out(`${objectName(o)}\n`);
  else if (format.startsWith('jsonpath=')) io.out(jsonpath(format.slice('jsonpath='.length), data));
  else throw new UsageError(`output format "${format}" is not supported here`);
}
