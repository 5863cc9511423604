// For tests: the API handler over a real store in a temp dir, driven as a function.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../resources/kinds.ts';
import { openTestStore } from '../store/test-fixture.ts';
import { createApiHandler, type ApiHandlerOptions } from './handler.ts';
import { RawJson, isStream, type ApiRequest, type ApiResponse } from './http-types.ts';

export const TOKEN = 'sekret';
export const NADS = '/apis/k8s.cni.cncf.io/v1/namespaces/default/network-attachment-definitions';

export interface CallOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
  token?: string;
  signal?: AbortSignal;
}

/** A request as the node adapter would make it, for driving a handler as a function. */
export function apiRequest(method: string, url: string, options: { body?: unknown; contentType?: string; token: string }): ApiRequest {
  const u = new URL(url, 'https://x');
  return {
    method,
    path: u.pathname,
    query: u.searchParams,
    headers: { authorization: `Bearer ${options.token}`, 'content-type': options.contentType ?? 'application/json' },
    ...(options.body !== undefined ? { body: Buffer.from(JSON.stringify(options.body)) } : {}),
    signal: new AbortController().signal,
  };
}

/** A store with the `default` namespace and a handler over it; `call` makes one request. */
export function setup(t: TestContext, historyLimit?: number, extra: Partial<ApiHandlerOptions> = {}) {
  const { store } = openTestStore(t, historyLimit ? { historyLimit } : {});
  store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const handler = createApiHandler({ store, kinds: KINDS, token: TOKEN, now: () => Date.parse('2024-05-01T10:01:00Z'), ...extra });
  const call = (method: string, url: string, options: CallOptions = {}): ApiResponse => {
    const u = new URL(url, 'https://x');
    return handler({
      method,
      path: u.pathname,
      query: u.searchParams,
      headers: {
        authorization: `Bearer ${options.token ?? TOKEN}`,
        ...(options.contentType ? { 'content-type': options.contentType } : { 'content-type': 'application/json' }),
        ...(options.accept ? { accept: options.accept } : {}),
      },
      ...(options.body !== undefined ? { body: Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body)) } : {}),
      signal: options.signal ?? new AbortController().signal,
    });
  };
  return { store, call, handler };
}

/** A NAD manifest. */
export const nad = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name },
  spec: { config: '{"cniVersion":"0.3.1","type":"bridge","bridge":"br1"}', ...extra },
});

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A response's body as a plain value (lists arrive pre-serialised). */
export const body = (r: ApiResponse): Obj => (r.body instanceof RawJson ? (JSON.parse(r.body.text) as Obj) : (r.body as Obj));

/** Collects a watch response's events until the stream ends; `onEvent` sees each as it arrives. */
export function events(r: ApiResponse, signal: AbortSignal, onEvent: (event: Obj, all: Obj[]) => void = () => undefined): Promise<Obj[]> {
  assert.ok(isStream(r.body), `expected a watch stream, found status ${r.status}: ${JSON.stringify(r.body)}`);
  return new Promise((done) => {
    const out: Obj[] = [];
    (r.body as { stream: (w: (c: string) => void, e: () => void, s: AbortSignal) => void }).stream(
      (chunk) => {
        const event = JSON.parse(chunk) as Obj;
        out.push(event);
        onEvent(event, out);
      },
      () => done(out),
      signal,
    );
  });
}
