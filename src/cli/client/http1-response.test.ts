import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Http1ParseError, Http1ResponseParser, MAX_HEAD_BYTES, type ParseEvent } from './http1-response.ts';

/** Feeds `text` one byte at a time (the worst split) and collects the events and the body. */
function byteByByte(text: string | Buffer, options: { noBody?: boolean } = {}): { events: ParseEvent[]; body: string } {
  const parser = new Http1ResponseParser(options);
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  const events: ParseEvent[] = [];
  for (let i = 0; i < bytes.length; i++) events.push(...parser.push(bytes.subarray(i, i + 1)));
  return { events, body: Buffer.concat(events.flatMap((e) => (e.type === 'body' ? [e.data] : []))).toString('latin1') };
}

const heads = (events: ParseEvent[]) => events.flatMap((e) => (e.type === 'head' ? [e.head] : []));
const ends = (events: ParseEvent[]) => events.filter((e) => e.type === 'end').length;

test('reads a Content-Length body fed byte by byte and ends exactly once', () => {
  const { events, body } = byteByByte('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"kind":""}');
  assert.deepEqual(heads(events), [{ status: 200, headers: { 'content-type': 'application/json', 'content-length': '11' } }]);
  assert.equal(body, '{"kind":""}');
  assert.equal(ends(events), 1);
});

test('decodes a chunked stream with extensions and trailers, in one push or byte by byte', () => {
  const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n';
  assert.equal(byteByByte(wire).body, 'hello 0123456789');
  const whole = new Http1ResponseParser().push(Buffer.from(wire));
  assert.equal(whole.at(-1)?.type, 'end');
  assert.equal(ends(byteByByte(wire).events), 1);
});

test('yields each chunk of a watch as it arrives, before the stream ends', () => {
  const parser = new Http1ResponseParser();
  assert.equal(parser.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'))[0]?.type, 'head');
  const first = parser.push(Buffer.from('8\r\n{"a":1}\n\r\n'));
  assert.deepEqual(first.map((e) => (e.type === 'body' ? e.data.toString() : e.type)), ['{"a":1}\n']);
  assert.equal(parser.done, false);
});

test('keeps repeated headers (Warning) in arrival order', () => {
  const { events } = byteByByte('HTTP/1.1 200 OK\r\nWarning: 299 - "a"\r\nwarning: 299 - "b"\r\nContent-Length: 0\r\n\r\n');
  assert.deepEqual(heads(events)[0]?.headers.warning, ['299 - "a"', '299 - "b"']);
  assert.equal(ends(events), 1);
});

test('reads a body without framing up to the close, and only then ends', () => {
  const parser = new Http1ResponseParser();
  const events = parser.push(Buffer.from('HTTP/1.1 500 Internal Server Error\r\n\r\noops'));
  assert.equal(ends(events), 0);
  assert.deepEqual(parser.finish(), [{ type: 'end' }]);
});

test('204, 304 and the answer to HEAD have no body whatever their Content-Length', () => {
  assert.equal(ends(byteByByte('HTTP/1.1 204 No Content\r\n\r\n').events), 1);
  assert.equal(ends(byteByByte('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n').events), 1);
  assert.equal(ends(byteByByte('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', { noBody: true }).events), 1);
});

test('skips an informational 100 Continue before the real head', () => {
  const { events, body } = byteByByte('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}');
  assert.deepEqual(heads(events).map((h) => h.status), [201]);
  assert.equal(body, '{}');
});

test('ignores bytes after the end of the response', () => {
  const parser = new Http1ResponseParser();
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'));
  assert.deepEqual(parser.push(Buffer.from('HTTP/1.1 200 OK\r\n')), []);
});

test('refuses a head larger than MAX_HEAD_BYTES without buffering more of it', () => {
  const parser = new Http1ResponseParser();
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\n'));
  assert.throws(() => parser.push(Buffer.alloc(MAX_HEAD_BYTES, 'a')), (err: unknown) => err instanceof Http1ParseError && /headers of at most 65536 bytes/.test(err.message));
});

test('refuses an endless chunk-size line', () => {
  const parser = new Http1ResponseParser();
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'));
  assert.throws(() => parser.push(Buffer.alloc(5000, '1')), Http1ParseError);
});

test('names what it expected and found for malformed input', () => {
  assert.throws(() => new Http1ResponseParser().push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), /expected a status line "HTTP\/1\.1 NNN reason", found "SSH-2\.0-OpenSSH"/);
  assert.throws(() => new Http1ResponseParser().push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n')), /expected a decimal Content-Length, found "-1"/);
  assert.throws(() => new Http1ResponseParser().push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')), /expected a hexadecimal chunk size, found "zz"/);
  assert.throws(() => new Http1ResponseParser().push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxyz')), /expected CRLF after chunk data/);
  assert.throws(() => new Http1ResponseParser().push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n')), /Transfer-Encoding ending in "chunked"/);
});

test('a connection closed in the middle of a framed body is an error, not a short body', () => {
  const parser = new Http1ResponseParser();
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  assert.throws(() => parser.finish(), /the connection closed while reading the body/);
  assert.throws(() => new Http1ResponseParser().finish(), /while reading the headers/);
});
