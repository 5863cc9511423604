// The API server as one function: (ApiRequest) → ApiResponse. Authenticates, routes, runs
// the handler, and turns any failure into a Status here and only here.
import type { KindInfo } from '../resources/kind.ts';
import type { ObjectStore } from '../store/types.ts';
import { deleteCollection, deleteObject } from './delete.ts';
import { coreVersions, groupInfo, groupList, groupResources, resourceList, versionInfo } from './discovery.ts';
import { aggregatedContentType, aggregatedDiscovery, negotiateDiscovery, type GroupResources } from './aggregated-discovery.ts';
import { ApiError, Reason, toStatus } from './errors.ts';
import { json, type ApiRequest, type ApiResponse } from './http-types.ts';
import { resourceCall, type ApiContext } from './objects.ts';
import { openapiDocument, openapiIndex } from './openapi.ts';
import { openapiV2Document } from './openapi-v2.ts';
import { encodeOpenapiV2, OPENAPI_V2_PROTOBUF } from './openapi-v2-proto.ts';
import { getObject, listObjects } from './read.ts';
import { WatchRegistry, watchObjects, type WatchSettings } from './watch-stream.ts';
import { queryBool } from './query.ts';
import { afterDurable } from './durable.ts';
import { createRegistry, type Registry } from './registry.ts';
import { route, type ResourceRoute } from './route.ts';
import { createObject, patchObject, replaceObject } from './write.ts';
import { SUBRESOURCES_GROUP, SUBRESOURCES_VERSIONS, subresourceResources, vmSubresource } from './vm-subresources.ts';
import { carriesToken } from './auth.ts';
import type { GuestAccess } from './guest-access.ts';
import { AUTHORIZATION_GROUP, accessReview, authorizationGroup } from './access-review.ts';
import type { Mutator } from './admission.ts';
import { createVmiSubresources, matchVmiSubresource, vmiSubresourceResources } from './vmi-subresources.ts';

export interface ApiHandlerOptions {
  store: ObjectStore;
  kinds: readonly KindInfo[];
  /** The bearer token every request must carry. */
  token: string;
  /** pxevirt's version, shown in /version. */
  version?: string;
  now?: () => number;
  /** GET /metrics: the Prometheus text and its content type (token required like every path). */
  metrics?: () => Promise<{ contentType: string; text: string }>;
  /** Reaches guests for console, vnc, vnc/screenshot and log; without it they answer 503. */
  guests?: GuestAccess;
  /** A mutating admission step run after defaulting, before validation, on creates and updates. */
  mutate?: Mutator;
  /** Bounds and bookmark interval of watches. */
  watch?: WatchSettings;
}

export type ApiHandler = (req: ApiRequest) => ApiResponse;

/** The handler plus what its owner manages: the registry, and open console/VNC sessions. */
export interface ApiHandlerExtras {
  registry: Registry;
  /** Closes every open console and VNC session (server shutdown). */
  closeSessions(): void;
}

const NOT_FOUND = () => new ApiError(404, Reason.NotFound, 'the server could not find the requested resource', {});

/** Creates the handler for a store and a set of kinds. */
export function createApiHandler(options: ApiHandlerOptions): ApiHandler & ApiHandlerExtras {
  const registry = createRegistry(options.kinds);
  const vmiSubresources = createVmiSubresources({ store: options.store, ...(options.guests ? { guests: options.guests } : {}) });
  const ctx: ApiContext = { store: options.store, kinds: registry.kinds, now: options.now ?? Date.now, watches: new WatchRegistry(options.watch), ...(options.mutate ? { mutate: options.mutate } : {}) };
  const allGroups: GroupResources[] = [
    ...groupResources(registry),
    // KubeVirt's subresources group and authorization.k8s.io hold no kinds of their own.
    { group: SUBRESOURCES_GROUP, versions: SUBRESOURCES_VERSIONS.map((version) => ({ version, resources: [...subresourceResources(), ...vmiSubresourceResources()] })) },
    authorizationGroup,
  ];
  // Built once: the kinds do not change while the server runs.
  let v2: { json: Record<string, unknown>; proto: Buffer } | undefined;
  const openapiV2 = (req: ApiRequest): ApiResponse => {
    if (!v2) {
      const doc = openapiV2Document(registry, options.version ?? '0.0.0');
      v2 = { json: doc, proto: encodeOpenapiV2(doc) };
    }
    if ((req.headers.accept ?? '').includes(OPENAPI_V2_PROTOBUF)) // Go's mime parser refuses the '@' in the requested type; kube-openapi answers octet-stream too.
      return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: v2.proto };
    return json(200, v2.json);
  };
  const handler = (req: ApiRequest): ApiResponse => {
    try {
      if (!carriesToken(req.headers, options.token)) throw new ApiError(401, Reason.Unauthorized, 'Unauthorized');
      // A response leaves only once the writes before it are durable (one sync per burst of writes).
      return afterDurable(options.store, dispatch(req));
    } catch (err) {
      const status = toStatus(err);
      const retry = status.details?.retryAfterSeconds;
      return json(status.code, status, retry !== undefined ? { 'retry-after': String(retry) } : {});
    }
  };
  const dispatch = (req: ApiRequest): ApiResponse => {
    if (req.path === '/metrics' && options.metrics && (req.method === 'GET' || req.method === 'HEAD')) return metricsResponse(options.metrics);
    const vmiSub = matchVmiSubresource(req.path);
    if (vmiSub) return vmiSubresources.handle(req, vmiSub);
    const r = route(req.path);
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (r.type !== 'resource' && !get) throw new ApiError(405, Reason.MethodNotAllowed, `the server does not allow this method on the requested resource: ${req.method} ${req.path}`);
    switch (r.type) {
      case 'version':
        return json(200, versionInfo(options.version ?? '0.0.0'));
      case 'health':
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
      case 'coreVersions':
      case 'apis': {
        const aggregated = negotiateDiscovery(req.headers.accept);
        if (aggregated) {
          const groups = r.type === 'coreVersions' ? allGroups.filter((g) => g.group === '') : allGroups.filter((g) => g.group !== '');
          return json(200, aggregatedDiscovery(groups, aggregated), { 'content-type': aggregatedContentType(aggregated), vary: 'Accept' });
        }
        return json(200, r.type === 'coreVersions' ? coreVersions() : groupList(allGroups), { vary: 'Accept' });
      }
      case 'group':
        return json(200, groupInfo(allGroups, r.group) ?? raise(NOT_FOUND()));
      case 'groupVersion':
        return json(200, resourceList(allGroups, r.group, r.version) ?? raise(NOT_FOUND()));
      case 'openapiV2':
        return openapiV2(req);
      case 'openapiV3Index':
        return json(200, openapiIndex(registry));
      case 'openapiV3':
        return json(200, openapiDocument(registry, r.group, r.version) ?? raise(NOT_FOUND()));
      case 'resource':
        return resource(req, r);
      default:
        throw NOT_FOUND();
    }
  };
  const resource = (req: ApiRequest, r: ResourceRoute): ApiResponse => {
    if (r.group === SUBRESOURCES_GROUP) {
      if (!SUBRESOURCES_VERSIONS.includes(r.version) || r.resource !== 'virtualmachines' || r.namespace === undefined || r.name === undefined || r.subresource === undefined) throw NOT_FOUND();
      return vmSubresource(options.store, req, r.namespace, r.name, r.subresource);
    }
    if (r.group === AUTHORIZATION_GROUP) {
      if (r.version !== 'v1' || r.namespace !== undefined || r.name !== undefined || !['selfsubjectaccessreviews', 'selfsubjectrulesreviews'].includes(r.resource)) throw NOT_FOUND();
      if (req.method !== 'POST') throw new ApiError(405, Reason.MethodNotAllowed, `the server does not allow this method on the requested resource: ${req.method} ${req.path}`);
      return accessReview({ groups: allGroups }, r.resource, req.body, req.headers['content-type']);
    }
    const kind = registry.byResource(r.group, r.version, r.resource);
    if (!kind) throw NOT_FOUND();
    if (kind.namespaced === false && r.namespace !== undefined) throw NOT_FOUND();
    if (r.subresource !== undefined && !(r.subresource === 'status' && kind.statusSubresource)) throw NOT_FOUND();
    const call = resourceCall(r, kind);
    const name = r.name;
    // A namespaced object is addressed with its namespace; only collections span all namespaces.
    if (kind.namespaced && r.namespace === undefined && name !== undefined) throw NOT_FOUND();
    if (kind.namespaced && r.namespace === undefined && req.method !== 'GET' && req.method !== 'HEAD') {
      throw new ApiError(405, Reason.MethodNotAllowed, `${req.method} is not allowed across all namespaces: use /namespaces/{namespace}/${kind.plural}`);
    }
    const watch = r.watch || queryBool(req.query, 'watch');
    switch (req.method) {
      case 'GET':
        if (watch) return watchObjects(ctx, call, req);
        return name === undefined ? listObjects(ctx, call, req) : getObject(ctx, call, req, name);
      case 'POST':
        if (name !== undefined) break;
        return createObject(ctx, call, req);
      case 'PUT':
        if (name === undefined) break;
        return replaceObject(ctx, call, req, name);
      case 'PATCH':
        if (name === undefined) break;
        return patchObject(ctx, call, req, name);
      case 'DELETE':
        if (r.subresource !== undefined) break;
        return name === undefined ? deleteCollection(ctx, call, req) : deleteObject(ctx, call, req, name);
    }
    throw new ApiError(405, Reason.MethodNotAllowed, `the server does not allow this method on the requested resource: ${req.method} ${req.path}`);
  };
  return Object.assign(handler, { registry, closeSessions: () => vmiSubresources.closeAll() });
}

/** The metrics text, produced asynchronously and sent as one chunk. */
function metricsResponse(metrics: NonNullable<ApiHandlerOptions['metrics']>): ApiResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
    body: {
      stream: (write: (chunk: string) => void, end: () => void) => {
        metrics().then(
          (m) => {
            write(m.text);
            end();
          },
          (err: unknown) => {
            write(`# metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
            end();
          },
        );
      },
    },
  };
}

function raise(err: Error): never {
  throw err;
}
