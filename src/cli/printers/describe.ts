// `kubectl describe` for any object (its generic describer): Name, Namespace, Labels,
// Annotations, then every field as "Smart Label:  value" indented by level, then Events.
import { ageOf as since } from '../../lib/duration.ts';
import { tabwrite } from './tabwriter.ts';
import { isObject } from '../../lib/is-object.ts';

type Obj = Record<string, unknown>;
const ACRONYMS = ['API', 'URL', 'UID', 'OSB', 'GUID'];
const SKIP_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);
const MAX_ANNOTATION = 140;

/** Splits camelCase as github.com/fatih/camelcase does: `apiVersion` → api, Version; `HTTPServer` → HTTP, Server. */
export function camelSplit(s: string): string[] {
  const cls = (c: string) => (/\p{Ll}/u.test(c) ? 1 : /\p{Lu}/u.test(c) ? 2 : /\p{N}/u.test(c) ? 3 : 4);
  const runs: string[][] = [];
  let last = 0;
  for (const c of s) {
    const k = cls(c);
    if (k === last && runs.length > 0) runs[runs.length - 1]?.push(c);
    else runs.push([c]);
    last = k;
  }
  for (let i = 0; i < runs.length - 1; i++) {
    const a = runs[i] ?? [];
    const b = runs[i + 1] ?? [];
    if (a.length > 0 && cls(a[0] ?? '') === 2 && cls(b[0] ?? '') === 1) b.unshift(a.pop() ?? '');
  }
  return runs.filter((r) => r.length > 0).map((r) => r.join(''));
}

/** kubectl's label for a field name: `creationTimestamp` → `Creation Timestamp`, `uid` → `UID`. */
export function smartLabel(field: string): string {
  if ([...field].some((c) => !/\p{L}/u.test(c) && c !== '-')) return field;
  return camelSplit(field)
    .filter((p) => p !== '_')
    .map((p) => (ACRONYMS.includes(p.toUpperCase()) ? p.toUpperCase() : p.charAt(0).toUpperCase() + p.slice(1)))
    .join(' ');
}

const indent = (level: number) => '  '.repeat(level);
const scalar = (v: unknown) => (v === null || v === undefined ? '<nil>' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function content(lines: string[], level: number, obj: Obj, prefix: string, skip: readonly string[]): void {
  for (const field of Object.keys(obj).sort()) {
    const value = obj[field];
    const expr = `${prefix}.${field}`;
    if (skip.includes(expr)) continue;
    if (isObject(value)) {
      lines.push(`${indent(level)}${smartLabel(field)}:`);
      content(lines, level + 1, value, expr, skip);
    } else if (Array.isArray(value)) {
      lines.push(`${indent(level)}${smartLabel(field)}:`);
      for (const child of value) {
        if (isObject(child)) content(lines, level + 1, child, expr, skip);
        else lines.push(`${indent(level + 1)}${Array.isArray(child) ? `[${child.map(scalar).join(' ')}]` : scalar(child)}`);
      }
    } else {
      lines.push(`${indent(level)}${smartLabel(field)}:\t${scalar(value)}`);
    }
  }
}

function labels(lines: string[], title: string, map: Record<string, string> | undefined): void {
  const keys = Object.keys(map ?? {}).sort();
  if (keys.length === 0) lines.push(`${title}:\t<none>`);
  keys.forEach((k, i) => lines.push(`${i === 0 ? `${title}:` : ''}\t${k}=${map?.[k] ?? ''}`));
}

function annotations(lines: string[], map: Record<string, string> | undefined): void {
  const keys = Object.keys(map ?? {}).filter((k) => !SKIP_ANNOTATIONS.has(k)).sort();
  if (keys.length === 0) lines.push('Annotations:\t<none>');
  keys.forEach((k, i) => {
    const head = i === 0 ? 'Annotations:\t' : '\t';
    const value = (map?.[k] ?? '').replace(/\n$/, '');
    if (value.length + k.length + 2 > MAX_ANNOTATION || value.includes('\n')) {
      lines.push(`${head}${k}:`);
      for (const s of value.split('\n')) lines.push(`\t  ${s.length > MAX_ANNOTATION - 2 ? `${s.slice(0, MAX_ANNOTATION - 2)}...` : s}`);
    } else {
      lines.push(`${head}${k}: ${value}`);
    }
  });
}

/** An Event as the API returns it (the fields describe uses). */
export interface EventLike {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string } | null;
  source?: { component?: string };
  reportingComponent?: string;
  reportingController?: string;
}

/** The Events section: `Events:  <none>` or a table, oldest first. */
export function eventLines(events: readonly EventLike[] | undefined, now: number): string[] {
  if (!events || events.length === 0) return ['Events:\t<none>'];
  const sorted = [...events].sort((a, b) => Date.parse(a.lastTimestamp ?? '') - Date.parse(b.lastTimestamp ?? '') || 0);
  const lines = ['Events:', '  Type\tReason\tAge\tFrom\tMessage', '  ----\t------\t----\t----\t-------'];
  for (const e of sorted) {
    const first = e.eventTime ? since(e.eventTime, now) : since(e.firstTimestamp, now);
    let age = first;
    if (e.series) age = `${since(e.series.lastObservedTime, now)} (x${e.series.count ?? 0} over ${first})`;
    else if ((e.count ?? 0) > 1) age = `${since(e.lastTimestamp, now)} (x${e.count ?? 0} over ${first})`;
    const from = e.source?.component || e.reportingController || e.reportingComponent || '';
    lines.push(`  ${e.type ?? ''}\t${e.reason ?? ''}\t${age}\t${from}\t${(e.message ?? '').trim()}`);
  }
  return lines;
}

/** The whole `describe` text for one object and its events. */
export function describeObject(object: Obj, events: readonly EventLike[] | undefined, now: number): string {
  const meta = (object.metadata ?? {}) as Obj;
  if (object.kind === 'Namespace' && object.apiVersion === 'v1') return describeNamespace(object);
  if (object.kind === 'Secret' && object.apiVersion === 'v1') return describeSecret(object, events, now);
  const lines = [`Name:\t${String(meta.name ?? '')}`, `Namespace:\t${String(meta.namespace ?? '')}`];
  labels(lines, 'Labels', meta.labels as Record<string, string> | undefined);
  annotations(lines, meta.annotations as Record<string, string> | undefined);
  // kubectl's generic describer leaves managedFields out.
  content(lines, 0, object, '', ['.metadata.name', '.metadata.namespace', '.metadata.labels', '.metadata.annotations', '.metadata.managedFields']);
  const ev = eventLines(events, now);
  // kubectl flushes its tabwriter before an events table, so that table aligns by itself.
  if (ev.length === 1) return `${tabwrite([...lines, ...ev, ''].join('\n'), { minWidth: 0, padding: 2 })}`;
  return `${tabwrite([...lines, ''].join('\n'), { minWidth: 0, padding: 2 })}${tabwrite([...ev, ''].join('\n'), { minWidth: 0, padding: 2 })}`;
}

/** kubectl's own describer for Namespaces (quota and limit-range sections need kinds pxevirt does not serve). */
function describeNamespace(object: Obj): string {
  const meta = (object.metadata ?? {}) as Obj;
  const lines = [`Name:\t${String(meta.name ?? '')}`];
  labels(lines, 'Labels', meta.labels as Record<string, string> | undefined);
  annotations(lines, meta.annotations as Record<string, string> | undefined);
  lines.push(`Status:\t${String((object.status as Obj | undefined)?.phase ?? '')}`);
  return tabwrite([...lines, ''].join('\n'), { minWidth: 0, padding: 2 });
}

/** kubectl's Secret describer: the type and each key's size, never a value. */
function describeSecret(object: Obj, events: readonly EventLike[] | undefined, now: number): string {
  const meta = (object.metadata ?? {}) as Obj;
  const lines = [`Name:\t${String(meta.name ?? '')}`, `Namespace:\t${String(meta.namespace ?? '')}`];
  labels(lines, 'Labels', meta.labels as Record<string, string> | undefined);
  annotations(lines, meta.annotations as Record<string, string> | undefined);
  lines.push('', `Type:\t${String(object.type ?? '')}`, '', 'Data', '====');
  const data = isObject(object.data) ? object.data : {};
  for (const key of Object.keys(data).sort()) {
    const v = data[key];
    lines.push(`${key}:\t${typeof v === 'string' ? Buffer.from(v, 'base64').length : 0} bytes`);
  }
  const ev = eventLines(events, now);
  return `${tabwrite([...lines, ''].join('\n'), { minWidth: 0, padding: 2 })}${ev.length > 1 ? tabwrite([...ev, ''].join('\n'), { minWidth: 0, padding: 2 }) : ''}`;
}
