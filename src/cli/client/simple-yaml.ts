// The block-style YAML kubeconfigs are written in (by `pxevirt up`, kubectl, kind, k3s): nested
// maps and sequences, one `key: value` a line, plain or quoted one-line scalars, `{}` and `[]`.
// The yaml library takes ~5% of `pxevirt get`'s instructions to parse one (its lexer, parser and
// composer are generators, run by the interpreter); this reads that subset in one pass and returns
// undefined for anything outside it (flow collections, anchors, tags, multi-line or escaped
// scalars, numbers, comments after a value, tabs, CR, duplicate keys…), and the caller then uses
// the library. Where it answers, the answer equals the library's (simple-yaml.test.ts checks it).

interface Line {
  indent: number;
  text: string;
}

class Unsupported extends Error {}
const unsupported = (): never => {
  throw new Unsupported();
};

const KEY = /^([A-Za-z0-9_][A-Za-z0-9_./-]*):(?: +(.*))?$/;
const NULLS = new Set(['null', 'Null', 'NULL', '~']);
const BOOLS = new Map([['true', true], ['True', true], ['TRUE', true], ['false', false], ['False', false], ['FALSE', false]]);
// What YAML 1.2's core schema (the yaml library's default) reads as a number: its own tests.
const NUMERIC = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)|0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/;

function scalar(raw: string): unknown {
  if (raw === '{}') return {};
  if (raw === '[]') return [];
  const first = raw[0]!;
  if (first === '"') {
    const inner = raw.slice(1, -1);
    return raw.length >= 2 && raw.endsWith('"') && !/["\\]/.test(inner) ? inner : unsupported();
  }
  if (first === "'") {
    const inner = raw.slice(1, -1);
    return raw.length >= 2 && raw.endsWith("'") && !/'/.test(inner.replaceAll("''", '')) ? inner.replaceAll("''", "'") : unsupported();
  }
  if ('-?:,[]{}#&*!|>%@`'.includes(first) || raw.includes(': ') || raw.includes(' #') || raw.endsWith(':') || NUMERIC.test(raw)) unsupported();
  if (NULLS.has(raw)) return null;
  return BOOLS.get(raw) ?? raw;
}

class Reader {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  peek(): Line | undefined {
    return this.lines[this.i];
  }

  /** The value of the block starting at the current line, whose indentation is `indent`. */
  block(indent: number): unknown {
    const line = this.peek()!;
    if (line.indent !== indent) unsupported();
    return line.text === '-' || line.text.startsWith('- ') ? this.sequence(indent) : this.map(indent);
  }

  /** The value after `key:` or `-` with nothing on the line: a nested block, else null. */
  private nested(parentIndent: number, allowSameIndentSequence: boolean): unknown {
    const next = this.peek();
    if (next && next.indent > parentIndent) return this.block(next.indent);
    if (next && allowSameIndentSequence && next.indent === parentIndent && (next.text === '-' || next.text.startsWith('- '))) return this.sequence(parentIndent);
    return null;
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      const m = KEY.exec(line.text) ?? unsupported();
      const key = m[1]!;
      // A key the core schema reads as null, a boolean or a number becomes another string in JS.
      if (Object.hasOwn(out, key) || key === '__proto__' || NULLS.has(key) || BOOLS.has(key) || NUMERIC.test(key)) unsupported();
      this.i++;
      out[key] = m[2] === undefined || m[2] === '' ? this.nested(indent, true) : scalar(m[2]);
    }
    const after = this.peek();
    if (after && after.indent > indent) unsupported(); // a continued scalar or a stray block
    return out;
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let line = this.peek(); line && line.indent === indent && (line.text === '-' || line.text.startsWith('- ')); line = this.peek()) {
      const rest = line.text.slice(1).replace(/^ +/, '');
      if (rest === '') {
        this.i++;
        out.push(this.nested(indent, false));
      } else if (rest.startsWith('-') || KEY.test(rest)) {
        // `- key: value` (or `- - x`): a block whose first line starts after the dash.
        this.lines[this.i] = { indent: indent + line.text.length - rest.length, text: rest };
        out.push(this.block(this.lines[this.i]!.indent));
      } else {
        this.i++;
        out.push(scalar(rest));
      }
    }
    const after = this.peek();
    if (after && after.indent > indent) unsupported();
    return out;
  }

  done(): boolean {
    return this.i === this.lines.length;
  }
}

/** `text` parsed when it is in the subset above (a map or a sequence at the top); undefined otherwise. */
export function parseSimpleYaml(text: string): unknown {
  if (text.includes('\r') || text.includes('\t')) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    const content = raw.replace(/ +$/, '');
    const body = content.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    if (raw.startsWith('---') || raw.startsWith('...')) return undefined;
    lines.push({ indent: content.length - body.length, text: body });
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;
  try {
    const reader = new Reader(lines);
    const value = reader.block(0);
    return reader.done() ? value : undefined;
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}
