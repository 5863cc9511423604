// Parses a request path into what it addresses, the way the API server's RequestInfo does.

export interface ResourceRoute {
  type: 'resource';
  group: string;
  version: string;
  /** Set for namespaced URLs (`…/namespaces/{ns}/{resource}`). */
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** `/watch/` in the path (the deprecated form of `?watch=true`). */
  watch: boolean;
}

export type Route =
  | { type: 'version' }
  | { type: 'health' }
  | { type: 'apis' }
  | { type: 'coreVersions' }
  | { type: 'group'; group: string }
  | { type: 'groupVersion'; group: string; version: string }
  | { type: 'openapiV2' }
  | { type: 'openapiV3Index' }
  | { type: 'openapiV3'; group: string; version: string }
  | ResourceRoute
  | { type: 'unknown' };

// `namespaces/{name}/status` and `/finalize` are the namespace's own subresources.
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Routes one URL path (without the query string). */
export function route(path: string): Route {
  const parts = path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  const [first, second, third] = parts;
  if (parts.length === 1 && first === 'version') return { type: 'version' };
  if (parts.length === 1 && (first === 'healthz' || first === 'livez' || first === 'readyz')) return { type: 'health' };
  if (first === 'openapi' && second === 'v2' && parts.length === 2) return { type: 'openapiV2' };
  if (first === 'openapi' && second === 'v3') {
    if (parts.length === 2) return { type: 'openapiV3Index' };
    if (third === 'api' && parts.length === 4) return { type: 'openapiV3', group: '', version: parts[3] ?? '' };
    if (third === 'apis' && parts.length === 5) return { type: 'openapiV3', group: parts[3] ?? '', version: parts[4] ?? '' };
    return { type: 'unknown' };
  }
  if (first === 'api') {
    if (parts.length === 1) return { type: 'coreVersions' };
    if (parts.length === 2) return { type: 'groupVersion', group: '', version: second ?? '' };
    return resourceRoute('', second ?? '', parts.slice(2));
  }
  if (first === 'apis') {
    if (parts.length === 1) return { type: 'apis' };
    if (parts.length === 2) return { type: 'group', group: second ?? '' };
    if (parts.length === 3) return { type: 'groupVersion', group: second ?? '', version: third ?? '' };
    return resourceRoute(second ?? '', third ?? '', parts.slice(3));
  }
  return { type: 'unknown' };
}

function resourceRoute(group: string, version: string, rest: string[]): Route {
  let parts = rest;
  let watch = false;
  if (parts[0] === 'watch') {
    watch = true;
    parts = parts.slice(1);
  }
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length >= 3 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) {
    namespace = parts[1];
    parts = parts.slice(2);
  }
  const [resource, name, subresource, ...more] = parts;
  if (!resource || more.length > 0) return { type: 'unknown' };
  return {
    type: 'resource',
    group,
    version,
    ...(namespace !== undefined ? { namespace } : {}),
    resource,
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
    watch,
  };
}
