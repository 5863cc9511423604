// An HTTP/1.1 response parser as a pure byte-level state machine: push() the bytes as they
// arrive, get back the head, body chunks and the end. It reads what pxevirt's API sends over its
// unix socket (Content-Length bodies, chunked watch streams, or a body up to the close), with the
// head and chunk-size lines bounded. No sockets here: unix-transport.ts feeds it.

/** The largest status line plus headers accepted (node:http's default is 16 KiB). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line (hex size and extensions) or a trailer line longer than this is refused. */
const MAX_LINE_BYTES = 4 * 1024;

export interface ResponseHead {
  status: number;
  /** Lower-case names; a repeated header is an array in arrival order. */
  headers: Record<string, string | string[]>;
}

export type ParseEvent = { type: 'head'; head: ResponseHead } | { type: 'body'; data: Buffer } | { type: 'end' };

/** The bytes are not the HTTP/1.1 response expected; names what was expected and what was found. */
export class Http1ParseError extends Error {
  constructor(expected: string, found: string) {
    super(`HTTP response: expected ${expected}, found ${found}`);
    this.name = 'Http1ParseError';
  }
}

type State =
  | { at: 'head' }
  | { at: 'length'; left: number }
  | { at: 'chunk-size' }
  | { at: 'chunk-data'; left: number }
  | { at: 'chunk-crlf' }
  | { at: 'trailer' }
  | { at: 'until-close' }
  | { at: 'done' };

const show = (bytes: Buffer): string => JSON.stringify(bytes.subarray(0, 40).toString('latin1'));

/** Parses the head (status line and headers). */
export function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!m) throw new Http1ParseError('a status line "HTTP/1.1 NNN reason"', JSON.stringify((lines[0] ?? '').slice(0, 40)));
  const headers: Record<string, string | string[]> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Http1ParseError('a header line "name: value"', JSON.stringify(line.slice(0, 40)));
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const had = headers[name];
    headers[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return { status: Number(m[1]), headers };
}

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v);

/** The body's framing from the head (RFC 9112 §6.3, for a client that sent no HEAD). */
function bodyState(head: ResponseHead, noBody: boolean): State {
  if (noBody || head.status === 204 || head.status === 304) return { at: 'done' };
  const te = single(head.headers['transfer-encoding']);
  if (te !== undefined) {
    if (te.toLowerCase().split(',').at(-1)?.trim() !== 'chunked') throw new Http1ParseError('Transfer-Encoding ending in "chunked"', JSON.stringify(te));
    return { at: 'chunk-size' };
  }
  const cl = single(head.headers['content-length']);
  if (cl === undefined) return { at: 'until-close' };
  if (!/^\d{1,15}$/.test(cl)) throw new Http1ParseError('a decimal Content-Length', JSON.stringify(cl));
  const left = Number(cl);
  return left === 0 ? { at: 'done' } : { at: 'length', left };
}

/** One response's parser; `noBody` for the answer to a HEAD request. */
export class Http1ResponseParser {
  private state: State = { at: 'head' };
  private pending: Buffer = Buffer.alloc(0);
  private readonly noBody: boolean;

  constructor(options: { noBody?: boolean } = {}) {
    this.noBody = options.noBody ?? false;
  }

  /** Whether the whole response has been read. */
  get done(): boolean {
    return this.state.at === 'done';
  }

  /** Feeds bytes; returns what they completed. Throws Http1ParseError on a malformed response. */
  push(chunk: Buffer): ParseEvent[] {
    if (this.state.at === 'done') return [];
    const events: ParseEvent[] = [];
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (buf.length > 0 && this.state.at !== 'done') {
      const s: State = this.state;
      if (s.at === 'length' || s.at === 'chunk-data') {
        const take = Math.min(s.left, buf.length);
        events.push({ type: 'body', data: buf.subarray(0, take) });
        buf = buf.subarray(take);
        const left: number = s.left - take;
        this.state = left > 0 ? { ...s, left } : s.at === 'length' ? { at: 'done' } : { at: 'chunk-crlf' };
        continue;
      }
      if (s.at === 'until-close') {
        events.push({ type: 'body', data: buf });
        buf = buf.subarray(buf.length);
        continue;
      }
      if (s.at === 'chunk-crlf') {
        if (buf.length < 2) break;
        if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw new Http1ParseError('CRLF after chunk data', show(buf));
        buf = buf.subarray(2);
        this.state = { at: 'chunk-size' };
        continue;
      }
      // head, chunk-size and trailer are read up to a line end (the head up to an empty line).
      const end = s.at === 'head' ? buf.indexOf('\r\n\r\n') : buf.indexOf('\r\n');
      const limit = s.at === 'head' ? MAX_HEAD_BYTES : MAX_LINE_BYTES;
      if (end < 0) {
        if (buf.length > limit) throw new Http1ParseError(`${s.at === 'head' ? 'headers' : 'a line'} of at most ${limit} bytes`, `${buf.length} bytes without an end`);
        break;
      }
      if (end > limit) throw new Http1ParseError(`${s.at === 'head' ? 'headers' : 'a line'} of at most ${limit} bytes`, `${end} bytes`);
      const line = buf.subarray(0, end).toString('latin1');
      buf = buf.subarray(end + (s.at === 'head' ? 4 : 2));
      if (s.at === 'head') {
        const head = parseHead(line);
        // 1xx (other than 101, never asked for) is informational: the real head follows.
        if (head.status >= 100 && head.status < 200) continue;
        events.push({ type: 'head', head });
        this.state = bodyState(head, this.noBody);
      } else if (s.at === 'chunk-size') {
        const m = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line);
        if (!m) throw new Http1ParseError('a hexadecimal chunk size', JSON.stringify(line.slice(0, 40)));
        const size = parseInt(m[1]!, 16);
        this.state = size === 0 ? { at: 'trailer' } : { at: 'chunk-data', left: size };
      } else if (line === '') {
        this.state = { at: 'done' };
      }
    }
    if (this.state.at !== 'done') this.pending = Buffer.from(buf);
    if (this.state.at === 'done') events.push({ type: 'end' });
    return events;
  }

  /** The connection closed: ends a body read up to the close; throws if the response was cut short. */
  finish(): ParseEvent[] {
    if (this.state.at === 'done') return [];
    if (this.state.at === 'until-close') {
      this.state = { at: 'done' };
      return [{ type: 'end' }];
    }
    throw new Http1ParseError('the rest of the response', `the connection closed while reading ${this.state.at === 'head' ? 'the headers' : 'the body'}`);
  }
}
