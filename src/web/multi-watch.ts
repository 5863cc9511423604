// Several API watches in one response, so a page holds one long-lived connection whatever it
// shows: browsers allow six HTTP/1.1 connections per host, and one watch per kind would use
// them up across two tabs and stall every other request. Each watch runs through the API
// handler with the page's own Authorization header (so the API decides, as for any call);
// each line is the API's watch event with `"stream": i` added. When any watch ends, all end
// and the page relists.
import type { ApiRequest, ApiResponse, StreamBody } from '../api/http-types.ts';
import { isStream } from '../api/http-types.ts';

type Api = (req: ApiRequest) => ApiResponse;

/** The most watches one request may combine. */
export const MAX_WATCHES = 8;

function badRequest(message: string): ApiResponse {
  return { status: 400, headers: { 'content-type': 'application/json' }, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'BadRequest', code: 400 } };
}

/** `GET /ui/watch?path=P1&path=P2…`, each P an API collection path with its query (resourceVersion, selectors). */
export function multiWatch(api: Api, req: ApiRequest): ApiResponse {
  const paths = req.query.getAll('path');
  if (paths.length === 0 || paths.length > MAX_WATCHES) return badRequest(`expected 1 to ${MAX_WATCHES} path parameters, found ${paths.length}`);
  const bad = paths.find((p) => !/^\/apis?\//.test(p));
  if (bad !== undefined) return badRequest(`expected API paths starting with /api/ or /apis/, found ${JSON.stringify(bad)}`);
  const body: StreamBody = {
    stream: (write, end, signal) => {
      const inner = new AbortController();
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        inner.abort();
        end();
      };
      signal.addEventListener('abort', finish, { once: true });
      paths.forEach((p, i) => {
        if (finished) return;
        const url = new URL(p, 'http://localhost');
        url.searchParams.set('watch', '1');
        const headers: Record<string, string | undefined> = { authorization: req.headers.authorization, accept: 'application/json' };
        const res = api({ method: 'GET', path: url.pathname, query: url.searchParams, headers, signal: inner.signal });
        if (!isStream(res.body)) {
          write(`${JSON.stringify({ stream: i, type: 'ERROR', object: res.body })}\n`);
          finish();
          return;
        }
        let buffered = '';
        res.body.stream(
          (chunk) => {
            buffered += chunk;
            let nl: number;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl).trim();
              buffered = buffered.slice(nl + 1);
              // The API writes one JSON object per line: splice the stream index in front.
              if (line.startsWith('{') && !finished) write(`{"stream":${i},${line.slice(1)}\n`);
            }
          },
          finish,
          inner.signal,
        );
      });
    },
  };
  return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body };
}
