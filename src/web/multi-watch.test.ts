import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiRequest, ApiResponse, StreamBody } from '../api/http-types.ts';
import { multiWatch } from './multi-watch.ts';

interface FakeWatch {
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  write: (line: string) => void;
  end: () => void;
  signal: AbortSignal;
}

/** An API whose watches the test drives by hand; a path ending in /denied answers 401. */
function fakeApi(): { api: (req: ApiRequest) => ApiResponse; watches: FakeWatch[] } {
  const watches: FakeWatch[] = [];
  const api = (req: ApiRequest): ApiResponse => {
    if (req.path.endsWith('/denied')) return { status: 401, headers: {}, body: { kind: 'Status', code: 401, message: 'Unauthorized' } };
    const body: StreamBody = { stream: (write, end, signal) => void watches.push({ path: req.path, query: req.query, authorization: req.headers.authorization, write, end, signal }) };
    return { status: 200, headers: {}, body };
  };
  return { api, watches };
}

function request(paths: string[]): ApiRequest {
  const query = new URLSearchParams(paths.map((p): [string, string] => ['path', p]));
  return { method: 'GET', path: '/ui/watch', query, headers: { authorization: 'Bearer t' }, signal: new AbortController().signal };
}

function open(response: ApiResponse): { lines: string[]; ended: () => boolean; abort: () => void } {
  const lines: string[] = [];
  let ended = false;
  const controller = new AbortController();
  (response.body as StreamBody).stream((chunk) => lines.push(...chunk.split('\n').filter(Boolean)), () => (ended = true), controller.signal);
  return { lines, ended: () => ended, abort: () => controller.abort() };
}

test('merges several watches into one stream, each line tagged with its watch', () => {
  const { api, watches } = fakeApi();
  const out = open(multiWatch(api, request(['/apis/kubevirt.io/v1/virtualmachineinstances?resourceVersion=5', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dx&resourceVersion=7'])));
  assert.equal(watches.length, 2);
  assert.equal(watches[0]!.query.get('watch'), '1');
  assert.equal(watches[0]!.query.get('resourceVersion'), '5');
  assert.equal(watches[1]!.query.get('fieldSelector'), 'involvedObject.name=x');
  assert.equal(watches[1]!.authorization, 'Bearer t', 'the page\'s own token goes to the API');
  watches[1]!.write('{"type":"ADDED","object":{"a":1}}\n{"type":"MOD');
  watches[0]!.write('{"type":"DELETED","object":{"b":2}}\n');
  watches[1]!.write('IFIED","object":{"a":2}}\n');
  assert.deepEqual(out.lines.map((l) => JSON.parse(l)), [
    { stream: 1, type: 'ADDED', object: { a: 1 } },
    { stream: 0, type: 'DELETED', object: { b: 2 } },
    { stream: 1, type: 'MODIFIED', object: { a: 2 } },
  ]);
});

test('ends every watch when one ends, and when the client leaves', () => {
  const { api, watches } = fakeApi();
  const out = open(multiWatch(api, request(['/apis/a/v1/x', '/apis/b/v1/y'])));
  watches[0]!.end();
  assert.equal(out.ended(), true);
  assert.equal(watches[1]!.signal.aborted, true);
  const again = fakeApi();
  const second = open(multiWatch(again.api, request(['/apis/a/v1/x'])));
  second.abort();
  assert.equal(again.watches[0]!.signal.aborted, true);
});

test('passes a refusal on as an ERROR event and ends', () => {
  const { api } = fakeApi();
  const out = open(multiWatch(api, request(['/apis/a/v1/x', '/apis/a/v1/denied'])));
  assert.deepEqual(JSON.parse(out.lines[0]!), { stream: 1, type: 'ERROR', object: { kind: 'Status', code: 401, message: 'Unauthorized' } });
  assert.equal(out.ended(), true);
});

test('refuses no paths, too many, and paths outside the API', () => {
  const { api } = fakeApi();
  assert.equal(multiWatch(api, request([])).status, 400);
  assert.equal(multiWatch(api, request(Array.from({ length: 9 }, () => '/api/v1/events'))).status, 400);
  assert.match(JSON.stringify(multiWatch(api, request(['/ui/session'])).body), /found \\"\/ui\/session\\"/);
});
