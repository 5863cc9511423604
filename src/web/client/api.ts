// The page's API client: every call carries `Authorization: Bearer` with the token the
// session cookie unlocks (/ui/session); lists stay current through `?watch=1` (JSON lines).

export interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  resourceVersion?: string;
  deletionTimestamp?: string;
}

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface Cause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface Status {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: Cause[] };
}

/** A refused call, with the API's Status. */
export class ApiFailure extends Error {
  readonly code: number;
  readonly status: Status;
  constructor(code: number, status: Status) {
    super(status.message ?? `HTTP ${code}`);
    this.code = code;
    this.status = status;
  }
}

let token = '';

/** Fetches the API token for this session; sends the browser to sign-in when there is none. */
export async function startSession(): Promise<void> {
  const res = await fetch('/ui/session', { cache: 'no-store' });
  if (!res.ok) {
    location.assign('/ui/login');
    throw new Error('not signed in');
  }
  token = ((await res.json()) as { token: string }).token;
}

/** Headers for an API call. */
export function auth(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...extra };
}

/** Subprotocols for the console/vnc websockets: KubeVirt's plus the token (browsers cannot set headers). */
export function wsProtocols(): string[] {
  const b64 = btoa(token).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return ['plain.kubevirt.io', `base64url.bearer.authorization.k8s.io.${b64}`];
}

/** A JSON API call; throws ApiFailure with the Status when refused. */
export async function api<T = Obj>(method: string, path: string, body?: unknown, signal?: AbortSignal, contentType = 'application/json'): Promise<T> {
  const init: RequestInit = { method, headers: auth(body === undefined ? {} : { 'content-type': contentType }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  if (signal) init.signal = signal;
  const res = await fetch(path, init);
  const text = await res.text();
  let parsed: unknown = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { message: text };
  }
  if (!res.ok) {
    if (res.status === 401) location.assign('/ui/login');
    throw new ApiFailure(res.status, parsed as Status);
  }
  return parsed as T;
}

/** A resource's URL prefix, e.g. `/apis/kubevirt.io/v1` + `virtualmachineinstances`. */
export interface Resource {
  prefix: string;
  plural: string;
  namespaced: boolean;
}

/** The collection (all namespaces, or one) or one object's URL. */
export function pathOf(r: Resource, namespace?: string, name?: string): string {
  const ns = r.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${r.prefix}${ns}/${r.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

export const VMI: Resource = { prefix: '/apis/kubevirt.io/v1', plural: 'virtualmachineinstances', namespaced: true };
export const VM: Resource = { prefix: '/apis/kubevirt.io/v1', plural: 'virtualmachines', namespaced: true };
export const NAD: Resource = { prefix: '/apis/k8s.cni.cncf.io/v1', plural: 'network-attachment-definitions', namespaced: true };
export const NNCP: Resource = { prefix: '/apis/nmstate.io/v1', plural: 'nodenetworkconfigurationpolicies', namespaced: false };
export const PXE: Resource = { prefix: '/apis/pxe.pxevirt.io/v1alpha1', plural: 'pxeservers', namespaced: true };
export const EVENT: Resource = { prefix: '/api/v1', plural: 'events', namespaced: true };
export const DV: Resource = { prefix: '/apis/cdi.kubevirt.io/v1beta1', plural: 'datavolumes', namespaced: true };
export const PVC: Resource = { prefix: '/api/v1', plural: 'persistentvolumeclaims', namespaced: true };
export const SUBRESOURCES = '/apis/subresources.kubevirt.io/v1';

const keyOf = (o: Obj) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * Keeps several collections current: lists each, then follows all of them through one
 * `/ui/watch` stream (one connection per page, see src/web/multi-watch.ts); relists when
 * the stream ends. `onChange(i, items)` gets every object of `paths[i]` after each change.
 */
export function liveLists(paths: string[], signal: AbortSignal, onChange: (index: number, items: Obj[]) => void): void {
  const sets = paths.map(() => new Map<string, Obj>());
  const dirty = new Set<number>();
  let pending = false;
  const emit = (i: number) => {
    dirty.add(i);
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      const changed = [...dirty];
      dirty.clear();
      if (!signal.aborted) for (const j of changed) onChange(j, [...sets[j]!.values()]);
    }, 30);
  };
  const follow = async (versions: string[]) => {
    const query = paths.map((p, i) => `path=${encodeURIComponent(`${p}${p.includes('?') ? '&' : '?'}resourceVersion=${versions[i]}`)}`).join('&');
    const res = await fetch(`/ui/watch?${query}`, { headers: auth(), signal });
    if (!res.ok || !res.body) throw new Error(`watch: HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += value;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        const event = JSON.parse(line) as { stream: number; type: string; object: Obj };
        const set = sets[event.stream];
        if (!set) continue;
        if (event.type === 'ERROR') {
          if ((event.object as Status).code === 401) location.assign('/ui/login');
          throw new Error(`watch ${paths[event.stream]}: ${(event.object as Status).message ?? 'error'}`);
        }
        if (event.type === 'DELETED') set.delete(keyOf(event.object));
        else if (event.type !== 'BOOKMARK') set.set(keyOf(event.object), event.object);
        emit(event.stream);
      }
    }
  };
  const run = async () => {
    while (!signal.aborted) {
      try {
        const lists = await Promise.all(paths.map((p) => api<{ metadata: { resourceVersion: string }; items: Obj[] }>('GET', p, undefined, signal)));
        lists.forEach((list, i) => {
          sets[i]!.clear();
          for (const o of list.items) sets[i]!.set(keyOf(o), o);
          emit(i);
        });
        await follow(lists.map((l) => l.metadata.resourceVersion));
      } catch {
        if (signal.aborted) return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void run();
}
