// OpenAPI v3 documents generated from the kinds' schemas: an index at /openapi/v3 and one
// document per group-version. kubectl reads these to decide on server-side field validation
// (it wants a PATCH operation with this GVK and a `fieldValidation` parameter).
import { createHash } from 'node:crypto';
import type { KindInfo, Schema } from '../resources/kind.ts';
import { apiVersionOf, type Registry } from './registry.ts';

/** The schema name of a kind: `io.kubevirt.v1.VirtualMachineInstance`, `io.k8s.api.core.v1.Namespace`. */
export function schemaName(group: string, version: string, kind: string): string {
  const prefix = group === '' ? 'io.k8s.api.core' : group.split('.').reverse().join('.');
  return `${prefix}.${version}.${kind}`;
}

const queryParam = (name: string, description: string) => ({ name, in: 'query', description, schema: { type: 'string' }, uniqueItems: true });
const WRITE_PARAMS = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted. Valid value: All.'),
  queryParam('fieldManager', 'a name associated with the actor or entity that is making these changes'),
  queryParam('fieldValidation', 'how the server handles unknown fields: Ignore, Warn (default) or Strict'),
];
const LIST_PARAMS = ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'timeoutSeconds', 'watch'].map((n) => queryParam(n, n));
const pathParam = (name: string) => ({ name, in: 'path', required: true, description: `${name} of the object`, schema: { type: 'string' }, uniqueItems: true });

function operation(kind: KindInfo, version: string, action: string, verb: string, ref: string, options: { params?: object[]; body?: string[] } = {}) {
  const content = (types: string[]) => Object.fromEntries(types.map((t) => [t, { schema: { $ref: ref } }]));
  return {
    operationId: `${action}${kind.kind}`,
    tags: [apiVersionOf(kind.group, version)],
    ...(options.params ? { parameters: options.params } : {}),
    ...(options.body ? { requestBody: { content: content(options.body), required: true } } : {}),
    responses: { '200': { description: 'OK', content: content(['application/json', 'application/yaml']) } },
    'x-kubernetes-action': verb,
    'x-kubernetes-group-version-kind': { group: kind.group, version, kind: kind.kind },
  };
}

function pathsOf(kind: KindInfo, version: string, ref: string): Record<string, unknown> {
  const base = kind.group === '' ? `/api/${version}` : `/apis/${kind.group}/${version}`;
  const scope = kind.namespaced ? `${base}/namespaces/{namespace}/${kind.plural}` : `${base}/${kind.plural}`;
  const scopeParams = kind.namespaced ? [pathParam('namespace')] : [];
  const json = ['application/json', 'application/yaml'];
  const patchTypes = ['application/json-patch+json', 'application/merge-patch+json'];
  const item = {
    get: operation(kind, version, 'read', 'get', ref),
    put: operation(kind, version, 'replace', 'put', ref, { params: WRITE_PARAMS, body: json }),
    patch: operation(kind, version, 'patch', 'patch', ref, { params: [...WRITE_PARAMS, queryParam('force', 'force apply')], body: patchTypes }),
    delete: operation(kind, version, 'delete', 'delete', ref, { params: [queryParam('dryRun', 'dry run')] }),
    parameters: [pathParam('name'), ...scopeParams],
  };
  const paths: Record<string, unknown> = {
    [scope]: {
      get: operation(kind, version, 'list', 'list', ref, { params: LIST_PARAMS }),
      post: operation(kind, version, 'create', 'post', ref, { params: WRITE_PARAMS, body: json }),
      ...(scopeParams.length > 0 ? { parameters: scopeParams } : {}),
    },
    [`${scope}/{name}`]: item,
  };
  if (kind.statusSubresource) {
    paths[`${scope}/{name}/status`] = {
      get: operation(kind, version, 'read', 'get', ref),
      put: operation(kind, version, 'replace', 'put', ref, { params: WRITE_PARAMS, body: json }),
      patch: operation(kind, version, 'patch', 'patch', ref, { params: WRITE_PARAMS, body: patchTypes }),
      parameters: [pathParam('name'), ...scopeParams],
    };
  }
  return paths;
}

/** The OpenAPI v3 document of one group-version, or undefined when nothing is served there. */
export function openapiDocument(registry: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const kinds = registry.inGroupVersion(group, version);
  if (kinds.length === 0) return undefined;
  const schemas: Record<string, Schema & Record<string, unknown>> = {};
  let paths: Record<string, unknown> = {};
  for (const kind of kinds) {
    const name = schemaName(group, version, kind.kind);
    schemas[name] = { ...kind.schema, 'x-kubernetes-group-version-kind': [{ group, kind: kind.kind, version }] };
    paths = { ...paths, ...pathsOf(kind, version, `#/components/schemas/${name}`) };
  }
  return { openapi: '3.0.0', info: { title: 'pxevirt', version: apiVersionOf(group, version) }, paths, components: { schemas } };
}

/** The /openapi/v3 index: one entry per served group-version, with a content hash. */
export function openapiIndex(registry: Registry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { group, versions } of registry.groups()) {
    for (const version of versions) {
      const key = group === '' ? `api/${version}` : `apis/${group}/${version}`;
      const hash = createHash('sha512').update(JSON.stringify(openapiDocument(registry, group, version))).digest('hex').toUpperCase();
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    }
  }
  return { paths };
}
