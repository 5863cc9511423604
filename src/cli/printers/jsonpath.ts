// Evaluates kubectl's JSONPath templates against JSON, with kubectl's output rules:
// strings raw, maps and arrays as compact JSON, several results joined by a space,
// missing keys print nothing (kubectl's --allow-missing-template-keys=true).
import { parsePath, parseTemplate, type Literal, type Path, type Step, type TemplateNode } from './jsonpath-parse.ts';
import { sortKeys } from './serialize.ts';

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function descendants(v: Json): Json[] {
  const out: Json[] = [v];
  if (Array.isArray(v)) for (const x of v) out.push(...descendants(x));
  else if (isObject(v)) for (const k of Object.keys(v).sort()) out.push(...descendants(v[k]));
  return out;
}

function compare(a: Json, op: string, b: Json): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return op === '==' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
  }
  const x = typeof a === 'string' ? a : JSON.stringify(a);
  const y = typeof b === 'string' ? b : JSON.stringify(b);
  return op === '==' ? x === y : op === '!=' ? x !== y : op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
}

function operand(o: Path | Literal, current: Json, root: Json): Json[] {
  return o.t === 'literal' ? [o.value] : evalPath(o, current, root);
}

function step(values: Json[], s: Step, root: Json): Json[] {
  const out: Json[] = [];
  for (const v of values) {
    switch (s.t) {
      case 'field':
        if (isObject(v)) for (const n of s.names) if (n in v) out.push(v[n]);
        break;
      case 'index':
        if (Array.isArray(v)) for (const i of s.indexes) {
          const at = i < 0 ? v.length + i : i;
          if (at >= 0 && at < v.length) out.push(v[at]);
        }
        break;
      case 'slice':
        if (Array.isArray(v)) {
          const norm = (n: number | undefined, d: number) => (n === undefined ? d : n < 0 ? Math.max(0, v.length + n) : Math.min(n, v.length));
          const by = s.step && s.step > 0 ? s.step : 1;
          for (let i = norm(s.start, 0); i < norm(s.end, v.length); i += by) out.push(v[i]);
        }
        break;
      case 'wildcard':
        if (Array.isArray(v)) out.push(...v);
        else if (isObject(v)) for (const k of Object.keys(v).sort()) out.push(v[k]);
        break;
      case 'recursive':
        out.push(...descendants(v));
        break;
      case 'filter': {
        const items = Array.isArray(v) ? v : [v];
        for (const item of items) {
          const left = operand(s.left, item, root);
          if (s.op === undefined || s.right === undefined) {
            if (left.length > 0) out.push(item);
            continue;
          }
          const right = operand(s.right, item, root);
          if (left.length > 0 && right.length > 0 && compare(left[0], s.op, right[0])) out.push(item);
        }
        break;
      }
    }
  }
  return out;
}

/** The values a path selects from `current` (`$` paths start at `root`). */
export function evalPath(path: Path, current: Json, root: Json = current): Json[] {
  let values = [path.from === '$' ? root : current];
  for (const s of path.steps) values = step(values, s, root);
  return values;
}

/** How kubectl prints one result. */
export function resultText(v: Json): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') return JSON.stringify(sortKeys(v));
  return String(v);
}

function render(nodes: TemplateNode[], current: Json, root: Json): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.text;
    else if (n.t === 'expr') out += operand(n.expr, current, root).map(resultText).join(' ');
    else for (const item of evalPath(n.expr, current, root).flatMap((v) => (Array.isArray(v) ? v : [v]))) out += render(n.body, item, root);
  }
  return out;
}

/** Runs a template such as `{.status.phase}` or `{range .items[*]}{.metadata.name}{"\n"}{end}`. */
export function jsonpath(template: string, data: Json): string {
  return render(parseTemplate(template), data, data);
}

/** The values of one expression (`{.status.phase}` or `.status.phase`), for `wait --for=jsonpath`. */
export function jsonpathValues(expression: string, data: Json): Json[] {
  const inner = expression.trim().replace(/^\{(.*)\}$/s, '$1');
  return evalPath(parsePath(inner, expression), data, data);
}
