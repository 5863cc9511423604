// Kubernetes label and field selectors: pure parsing (BadQueryError on bad syntax) and
// matching. Grammar and semantics follow k8s.io/apimachinery labels.Parse and fields.ParseSelector.
import { BadQueryError } from './errors.ts';

export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | '<' | '>';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** One value for = and !=, the set for in/notin, an integer for < and >; empty for exists and !. */
  values: string[];
}

/** A parsed label selector: every requirement must hold (an empty list matches everything). */
export type LabelSelector = readonly LabelRequirement[];

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_EXPECTED = 'comma-separated requirements: key, !key, key=value, key==value, key!=value, key in (v1,v2), key notin (v1,v2)';

type Token = { kind: 'word'; text: string } | { kind: 'op'; text: string } | { kind: 'end' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) { i++; continue; }
    const two = text.slice(i, i + 2);
    if (two === '==' || two === '!=') { tokens.push({ kind: 'op', text: two }); i += 2; continue; }
    if ('!=(),<>'.includes(c)) { tokens.push({ kind: 'op', text: c }); i++; continue; }
    let j = i;
    while (j < text.length && !/[\s!=(),<>]/.test(text[j] as string)) j++;
    tokens.push({ kind: 'word', text: text.slice(i, j) });
    i = j;
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

function checkKey(selector: string, key: string): string {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  if (!prefixOk || name.length > 63 || !NAME.test(name)) {
    throw new BadQueryError('labelSelector', selector, `a label key ([prefix/]name, name matching ${NAME.source}, at most 63 characters), not ${JSON.stringify(key)}`);
  }
  return key;
}

function checkValue(selector: string, value: string): string {
  if (value !== '' && (value.length > 63 || !NAME.test(value))) {
    throw new BadQueryError('labelSelector', selector, `a label value (empty or matching ${NAME.source}, at most 63 characters), not ${JSON.stringify(value)}`);
  }
  return value;
}

/** Parses a label selector (`a=b,c!=d,e in (f,g),!h,i`); throws BadQueryError naming what is wrong. */
export function parseLabelSelector(selector: string): LabelSelector {
  const tokens = tokenize(selector);
  let pos = 0;
  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const fail = (what: string): never => {
    const t = peek();
    const found = t.kind === 'end' ? 'the end' : JSON.stringify(t.text);
    throw new BadQueryError('labelSelector', selector, `${LABEL_EXPECTED}; expected ${what}, found ${found}`);
  };
  const word = (what: string): string => (peek().kind === 'word' ? (next() as { text: string }).text : fail(what));
  const isOp = (text: string): boolean => { const t = peek(); return t.kind === 'op' && t.text === text; };
  const requirements: LabelRequirement[] = [];
  if (peek().kind === 'end') return requirements;
  for (;;) {
    if (isOp('!')) {
      next();
      requirements.push({ key: checkKey(selector, word('a label key after "!"')), operator: '!', values: [] });
    } else {
      const key = checkKey(selector, word('a label key'));
      const t = peek();
      if (t.kind === 'end' || (t.kind === 'op' && t.text === ',')) {
        requirements.push({ key, operator: 'exists', values: [] });
      } else if (t.kind === 'op' && (t.text === '=' || t.text === '==' || t.text === '!=')) {
        next();
        const value = peek().kind === 'word' ? (next() as { text: string }).text : '';
        requirements.push({ key, operator: t.text === '!=' ? '!=' : '=', values: [checkValue(selector, value)] });
      } else if (t.kind === 'op' && (t.text === '<' || t.text === '>')) {
        next();
        const value = word('an integer');
        if (!/^-?\d+$/.test(value)) fail('an integer');
        requirements.push({ key, operator: t.text, values: [value] });
      } else if (t.kind === 'word' && (t.text === 'in' || t.text === 'notin')) {
        next();
        if (!isOp('(')) fail(`"(" after ${t.text}`);
        next();
        const values: string[] = [];
        for (;;) {
          values.push(checkValue(selector, peek().kind === 'word' ? (next() as { text: string }).text : ''));
          if (isOp(')')) { next(); break; }
          if (!isOp(',')) fail('"," or ")" in a value set');
          next();
        }
        if (values.length === 1 && values[0] === '') fail(`at least one value for ${t.text}`);
        requirements.push({ key, operator: t.text, values });
      } else {
        fail('an operator (=, ==, !=, in, notin) or ","');
      }
    }
    if (peek().kind === 'end') return requirements;
    if (!isOp(',')) fail('","');
    next();
  }
}

/** Whether a set of labels satisfies the selector (absent labels satisfy != and notin, as in Kubernetes). */
export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const r of selector) {
    const has = labels !== undefined && Object.hasOwn(labels, r.key);
    const value = has ? (labels as Record<string, string>)[r.key] as string : undefined;
    switch (r.operator) {
      case 'exists': if (!has) return false; break;
      case '!': if (has) return false; break;
      case '=': if (value !== r.values[0]) return false; break;
      case '!=': if (value === r.values[0]) return false; break;
      case 'in': if (value === undefined || !r.values.includes(value)) return false; break;
      case 'notin': if (value !== undefined && r.values.includes(value)) return false; break;
      case '<': case '>': {
        if (value === undefined || !/^-?\d+$/.test(value)) return false;
        const diff = Number(value) - Number(r.values[0]);
        if (r.operator === '<' ? diff >= 0 : diff <= 0) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** A parsed field selector: every requirement must hold (an empty list matches everything). */
export type FieldSelector = readonly FieldRequirement[];

/** Splits on an unescaped separator; `\,` `\=` `\!` `\\` escape, as in fields.ParseSelector. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) { current += c + (text[i + 1] as string); i++; continue; }
    if (c === ',') { terms.push(current); current = ''; continue; }
    current += c;
  }
  terms.push(current);
  return terms;
}

function unescape(selector: string, value: string): string {
  return value.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\' || c === ',' || c === '=' || c === '!') return c;
    throw new BadQueryError('fieldSelector', selector, `a value with only \\\\, \\, \\= or \\! escapes, not "\\${c}"`);
  });
}

/**
 * Parses a field selector (`metadata.name=x,metadata.namespace!=y`); `supported` lists the
 * fields this resource can be selected by. Unknown fields and bad syntax throw BadQueryError.
 */
export function parseFieldSelector(selector: string, supported: readonly string[]): FieldSelector {
  if (selector.trim() === '') return [];
  return splitTerms(selector).map((term) => {
    const m = /^([^=!]*?)(==|!=|=)(.*)$/s.exec(term.replace(/^\s+/, ''));
    if (!m) throw new BadQueryError('fieldSelector', selector, `terms like field=value, field==value or field!=value, found ${JSON.stringify(term)}`);
    const field = (m[1] as string).trim();
    if (!supported.includes(field)) {
      throw new BadQueryError('fieldSelector', selector, `a supported field (${supported.join(', ')}), found "${field}": field label not supported: ${field}`);
    }
    return { field, operator: m[2] === '!=' ? '!=' : '=', value: unescape(selector, m[3] as string) };
  });
}

/** Whether an object's field values (read through `valueOf`) satisfy the selector. */
export function matchesFields(selector: FieldSelector, valueOf: (field: string) => string): boolean {
  return selector.every((r) => (valueOf(r.field) === r.value) === (r.operator === '='));
}
