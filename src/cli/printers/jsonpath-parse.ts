// Parses kubectl's JSONPath templates (client-go util/jsonpath): literal text, `{.a.b}`,
// `[n]`, `[*]`, `[a:b]`, `..x`, `[?(@.x=="y")]`, unions, `{"\n"}`, `{range …}…{end}`.

export type Step =
  | { t: 'field'; names: string[] }
  | { t: 'index'; indexes: number[] }
  | { t: 'slice'; start?: number; end?: number; step?: number }
  | { t: 'wildcard' }
  | { t: 'recursive' }
  | { t: 'filter'; left: Path | Literal; op?: string; right?: Path | Literal };
export interface Path {
  t: 'path';
  /** `$` starts at the root, `@` (and a bare `.`) at the current value. */
  from: '$' | '@';
  steps: Step[];
}
export interface Literal {
  t: 'literal';
  value: string | number | boolean;
}
export type TemplateNode = { t: 'text'; text: string } | { t: 'expr'; expr: Path | Literal } | { t: 'range'; expr: Path; body: TemplateNode[] };

/** A template that cannot be parsed; the message says where. */
export class JsonPathParseError extends Error {
  readonly template: string;
  constructor(template: string, problem: string) {
    super(`error parsing jsonpath ${template}, ${problem}`);
    this.name = 'JsonPathParseError';
    this.template = template;
  }
}

/** Index of the `close` matching the `open` at `from`, skipping quoted text; -1 when unclosed. */
function matching(s: string, from: number, open: string, close: string): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "'") {
      i = s.indexOf(c, i + 1);
      if (i < 0) return -1;
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === open) depth++;
    else if (c === close && --depth === 0) return i;
  }
  return -1;
}

function unquote(s: string): string {
  return s.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

function literalOrPath(text: string, template: string): Path | Literal {
  const s = text.trim();
  if (/^(["']).*\1$/s.test(s)) return { t: 'literal', value: unquote(s) };
  if (/^-?\d+(\.\d+)?$/.test(s)) return { t: 'literal', value: Number(s) };
  if (s === 'true' || s === 'false') return { t: 'literal', value: s === 'true' };
  return parsePath(s, template);
}

function parseFilter(inner: string, template: string): Step {
  let quote = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i] ?? '';
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    const op = ['==', '!=', '<=', '>=', '<', '>'].find((o) => inner.startsWith(o, i));
    if (op) return { t: 'filter', left: literalOrPath(inner.slice(0, i), template), op, right: literalOrPath(inner.slice(i + op.length), template) };
  }
  return { t: 'filter', left: literalOrPath(inner, template) };
}

function parseBracket(inner: string, template: string): Step {
  const s = inner.trim();
  if (s === '*') return { t: 'wildcard' };
  if (s.startsWith('?(') && s.endsWith(')')) return parseFilter(s.slice(2, -1), template);
  if (/^(["'])/.test(s)) return { t: 'field', names: s.split(',').map((p) => unquote(p.trim())) };
  if (s.includes(':')) {
    const [a, b, c] = s.split(':').map((p) => (p.trim() === '' ? undefined : Number(p)));
    const step: Step = { t: 'slice' };
    if (a !== undefined) step.start = a;
    if (b !== undefined) step.end = b;
    if (c !== undefined) step.step = c;
    return step;
  }
  const indexes = s.split(',').map((p) => Number(p.trim()));
  if (indexes.some((n) => !Number.isInteger(n))) throw new JsonPathParseError(template, `unrecognized array index "${s}"`);
  return { t: 'index', indexes };
}

/** Parses one path such as `.items[*].metadata.name` or `@.status.phase`. */
export function parsePath(text: string, template: string = text): Path {
  let s = text.trim();
  const path: Path = { t: 'path', from: '@', steps: [] };
  if (s.startsWith('$')) {
    path.from = '$';
    s = s.slice(1);
  } else if (s.startsWith('@')) s = s.slice(1);
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '[') {
      const close = matching(s, i, '[', ']');
      if (close < 0) throw new JsonPathParseError(template, 'unterminated array');
      path.steps.push(parseBracket(s.slice(i + 1, close), template));
      i = close + 1;
    } else if (c === '.') {
      if (s[i + 1] === '.') {
        path.steps.push({ t: 'recursive' });
        i += 1; // the second dot then starts the field that follows
        continue;
      }
      i++;
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        name += s[i];
        i++;
      }
      if (name === '*') path.steps.push({ t: 'wildcard' });
      else if (name !== '') path.steps.push({ t: 'field', names: [name] });
    } else if (/[A-Za-z_]/.test(c ?? '') && i === 0) {
      s = `.${s}`;
    } else {
      throw new JsonPathParseError(template, `unrecognized character in action: ${JSON.stringify(c)}`);
    }
  }
  return path;
}

/** Parses a whole template into text, expressions and ranges. */
export function parseTemplate(template: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const stack: TemplateNode[][] = [root];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const top = stack[stack.length - 1] ?? root;
    if (open < 0) {
      top.push({ t: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) top.push({ t: 'text', text: template.slice(i, open) });
    const close = matching(template, open, '{', '}');
    if (close < 0) throw new JsonPathParseError(template, 'unclosed action');
    const action = template.slice(open + 1, close).trim();
    i = close + 1;
    if (action === 'end') {
      if (stack.length < 2) throw new JsonPathParseError(template, 'not in range, nothing to end');
      stack.pop();
    } else if (action.startsWith('range ')) {
      const node: TemplateNode = { t: 'range', expr: parsePath(action.slice(6), template), body: [] };
      top.push(node);
      stack.push(node.body);
    } else {
      top.push({ t: 'expr', expr: literalOrPath(action, template) });
    }
  }
  if (stack.length > 1) throw new JsonPathParseError(template, 'unclosed range');
  return root;
}
