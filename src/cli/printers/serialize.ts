// -o yaml, -o json and -o name, shaped like kubectl's: keys sorted (Go marshals maps
// sorted), YAML 1.1 quoting as go-yaml does, JSON indented by 4, lists as `kind: List`.
import { stringify } from 'yaml';
import { groupOf, typeName } from '../client/discovery.ts';

type Obj = Record<string, unknown>;

/** Copies a JSON value with every object's keys sorted. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Obj = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Obj)[key]);
    return out;
  }
  return value;
}

/** Wraps several objects the way kubectl prints them together. */
export function asList(items: readonly Obj[]): Obj {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/** One object (or a List) as kubectl's `-o yaml` prints it. */
export function toYaml(object: unknown): string {
  return stringify(sortKeys(object), { version: '1.1', indentSeq: false, lineWidth: 0, minContentWidth: 0, sortMapEntries: true });
}

/** One object (or a List) as kubectl's `-o json` prints it (Go escapes <, > and &). */
export function toJson(object: unknown): string {
  const text = JSON.stringify(sortKeys(object), null, 4).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  return `${text}\n`;
}

/** `virtualmachineinstance.kubevirt.io/vmi-pxe-boot`, `namespace/default`. */
export function objectName(object: Obj): string {
  const meta = (object.metadata ?? {}) as Obj;
  return `${typeName(String(object.kind ?? ''), groupOf(String(object.apiVersion ?? '')))}/${String(meta.name ?? '')}`;
}
