// A list's or watch's query, parsed once and checked the way kube-apiserver checks
// ListOptions (ValidateListOptions): selectors, limit/continue, resourceVersion and
// resourceVersionMatch, and for watches allowWatchBookmarks, sendInitialEvents, timeoutSeconds.
import type { ListOptions } from '../store/types.ts';
import { ApiError, Reason, badRequest } from './errors.ts';
import { queryBool, queryBoolOrUndefined } from './query.ts';
import type { ResourceCall } from './objects.ts';

export type ResourceVersionMatch = 'NotOlderThan' | 'Exact';

export interface ListParams {
  /** What the store selects by (namespace, selectors, limit, continue). */
  options: ListOptions;
  /** The resourceVersion asked for; '' when unset. */
  resourceVersion: string;
  match: ResourceVersionMatch | undefined;
}

export interface WatchParams extends ListParams {
  allowWatchBookmarks: boolean;
  /** undefined when the client did not say (then resourceVersion alone decides, as before WatchList). */
  sendInitialEvents: boolean | undefined;
  /** 0 when unset: the watch runs until the client leaves. */
  timeoutSeconds: number;
}

/** 422 Invalid for ListOptions, worded as the API server words it. */
function invalid(field: string, detail: string): ApiError {
  return new ApiError(422, Reason.Invalid, `ListOptions.meta.k8s.io "" is invalid: ${field}: Forbidden: ${detail}`, {
    kind: 'ListOptions',
    group: 'meta.k8s.io',
    causes: [{ reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field }],
  });
}

function selectors(call: ResourceCall, query: URLSearchParams): ListOptions {
  const options: ListOptions = {};
  if (call.route.namespace !== undefined) options.namespace = call.route.namespace;
  const labelSelector = query.get('labelSelector');
  if (labelSelector) options.labelSelector = labelSelector;
  let fieldSelector = query.get('fieldSelector') ?? '';
  // GET on a named object with watch=true watches that one object.
  if (call.route.name !== undefined) fieldSelector = [fieldSelector, `metadata.name=${call.route.name}`].filter(Boolean).join(',');
  if (fieldSelector) options.fieldSelector = fieldSelector;
  return options;
}

function matchOf(query: URLSearchParams): ResourceVersionMatch | undefined {
  const v = query.get('resourceVersionMatch');
  if (v === null || v === '') return undefined;
  if (v === 'NotOlderThan' || v === 'Exact') return v;
  throw new ApiError(422, Reason.Invalid, `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: ${JSON.stringify(v)}: supported values: "Exact", "NotOlderThan"`);
}

/** A list's parameters (GET on a collection without watch). */
export function listParams(call: ResourceCall, query: URLSearchParams): ListParams {
  const options = selectors(call, query);
  const limit = query.get('limit');
  if (limit !== null && limit !== '') {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 0) throw badRequest(`limit must be a non-negative integer, found ${JSON.stringify(limit)}`);
    if (n > 0) options.limit = n;
  }
  const cont = query.get('continue');
  const resourceVersion = query.get('resourceVersion') ?? '';
  const match = matchOf(query);
  if (match !== undefined && resourceVersion === '') throw invalid('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (match === 'Exact' && resourceVersion === '0') throw invalid('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  if (cont) {
    if (resourceVersion !== '' && resourceVersion !== '0') throw badRequest('specifying resource version is not allowed when using continue');
    options.continue = cont;
  }
  if (resourceVersion !== '' && !/^\d+$/.test(resourceVersion)) throw badRequest(`resourceVersion: expected a resourceVersion from a list or watch, found ${JSON.stringify(resourceVersion)}`);
  return { options, resourceVersion, match };
}

/** A watch's parameters. */
export function watchParams(call: ResourceCall, query: URLSearchParams): WatchParams {
  const options = selectors(call, query);
  const resourceVersion = query.get('resourceVersion') ?? '';
  if (resourceVersion !== '' && !/^\d+$/.test(resourceVersion)) throw badRequest(`resourceVersion: expected a resourceVersion from a list or watch, found ${JSON.stringify(resourceVersion)}`);
  const match = matchOf(query);
  const allowWatchBookmarks = queryBool(query, 'allowWatchBookmarks');
  const sendInitialEvents = queryBoolOrUndefined(query, 'sendInitialEvents');
  if (sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan') throw invalid('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (sendInitialEvents && !allowWatchBookmarks) throw invalid('allowWatchBookmarks', 'sendInitialEvents requires setting allowWatchBookmarks to true');
  } else if (match !== undefined) {
    throw invalid('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
  }
  const rawTimeout = query.get('timeoutSeconds');
  const timeoutSeconds = rawTimeout === null || rawTimeout === '' ? 0 : Number(rawTimeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0) throw badRequest(`timeoutSeconds must be a non-negative integer, found ${JSON.stringify(rawTimeout)}`);
  return { options, resourceVersion, match, allowWatchBookmarks, sendInitialEvents, timeoutSeconds };
}
