// Kubernetes label selectors (metav1.LabelSelector): the schema, the parser with the API
// server's messages, matching and the text form (`role=installer,tier in (a,b)`). Pure.
import { CauseType, join, shown, type Cause } from './causes.ts';
import { array, map, object, oneOf, string, type Static } from './schema-builders.ts';

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

export const labelSelectorSchema = object(
  {
    matchLabels: map(string(), 'Labels the object must carry with exactly these values.'),
    matchExpressions: array(object({ key: string(), operator: oneOf(SELECTOR_OPERATORS), values: array(string()) }, ['key', 'operator'])),
  },
  [],
  'A Kubernetes label selector: every matchLabels pair and every matchExpressions requirement must hold.',
);
export type LabelSelector = Static<typeof labelSelectorSchema>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// A label key: optional DNS prefix, then a name of at most 63 characters.
const KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(|[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

/** Parses a label selector at `field`; pushes causes and returns the selector when it is valid. */
export function parseLabelSelector(input: unknown, field: string, causes: Cause[]): LabelSelector | undefined {
  const before = causes.length;
  const fail = (f: string, message: string, type: Cause['type'] = CauseType.Invalid) => causes.push({ type, field: f, message });
  if (!isObj(input)) {
    fail(field, `expected a label selector object with matchLabels and/or matchExpressions, found ${shown(input)}`);
    return undefined;
  }
  for (const key of Object.keys(input)) if (key !== 'matchLabels' && key !== 'matchExpressions') fail(join(field, key), `unknown field "${key}"; expected one of matchLabels, matchExpressions`, CauseType.Unknown);
  const out: LabelSelector = {};
  if (input.matchLabels !== undefined) {
    const at = join(field, 'matchLabels');
    if (!isObj(input.matchLabels)) fail(at, `expected a map of label keys to values, found ${shown(input.matchLabels)}`);
    else {
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(input.matchLabels)) {
        if (!KEY.test(k)) fail(join(at, k), `expected a label key like role or example.com/role, found ${shown(k)}`);
        else if (typeof v !== 'string' || !VALUE.test(v)) fail(join(at, k), `expected a label value (at most 63 letters, digits, "-", "_", "."), found ${shown(v)}`);
        else labels[k] = v;
      }
      out.matchLabels = labels;
    }
  }
  if (input.matchExpressions !== undefined) {
    const at = join(field, 'matchExpressions');
    if (!Array.isArray(input.matchExpressions)) fail(at, `expected a list of requirements, found ${shown(input.matchExpressions)}`);
    else {
      out.matchExpressions = input.matchExpressions.flatMap((raw, i) => {
        const r = join(at, i);
        if (!isObj(raw)) return (fail(r, `expected {key, operator, values}, found ${shown(raw)}`), []);
        const { key, operator, values } = raw;
        if (typeof key !== 'string' || !KEY.test(key)) return (fail(join(r, 'key'), `expected a label key like role, found ${shown(key)}`), []);
        if (typeof operator !== 'string' || !(SELECTOR_OPERATORS as readonly string[]).includes(operator)) {
          return (fail(join(r, 'operator'), `expected one of ${SELECTOR_OPERATORS.join(', ')}, found ${shown(operator)}`, CauseType.NotSupported), []);
        }
        const list = values === undefined ? [] : values;
        if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) return (fail(join(r, 'values'), `expected a list of strings, found ${shown(values)}`), []);
        const needsValues = operator === 'In' || operator === 'NotIn';
        if (needsValues && list.length === 0) return (fail(join(r, 'values'), `Required value: must be specified when \`operator\` is 'In' or 'NotIn'`, CauseType.Required), []);
        if (!needsValues && list.length > 0) return (fail(join(r, 'values'), `Forbidden: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`), []);
        return [{ key, operator: operator as SelectorOperator, ...(needsValues ? { values: list as string[] } : {}) }];
      });
    }
  }
  return causes.length === before ? out : undefined;
}

/** True when `labels` satisfy every requirement of the selector (an empty selector matches everything, as in Kubernetes). */
export function labelsMatch(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, r.key);
    const value = l[r.key];
    if (r.operator === 'Exists' && !has) return false;
    if (r.operator === 'DoesNotExist' && has) return false;
    if (r.operator === 'In' && (!has || !(r.values ?? []).includes(value ?? ''))) return false;
    if (r.operator === 'NotIn' && has && (r.values ?? []).includes(value ?? '')) return false;
  }
  return true;
}

/** The selector as kubectl writes it: `role=installer,tier in (a,b),!legacy`. */
export function formatLabelSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const r of selector.matchExpressions ?? []) {
    if (r.operator === 'Exists') parts.push(r.key);
    else if (r.operator === 'DoesNotExist') parts.push(`!${r.key}`);
    else parts.push(`${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${(r.values ?? []).join(',')})`);
  }
  return parts.length === 0 ? '<everything>' : parts.join(',');
}
