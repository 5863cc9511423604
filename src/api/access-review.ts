// SelfSubjectAccessReview and SelfSubjectRulesReview (authorization.k8s.io/v1), answered
// truthfully for the one identity pxevirt knows: the token holder may do everything pxevirt
// serves and nothing else (`kubectl auth can-i`, `kubectl auth can-i --list`).
import type { GroupResources, LegacyResource } from './aggregated-discovery.ts';
import { badRequest } from './errors.ts';
import { json, type ApiResponse } from './http-types.ts';
import { decodeBody } from './body.ts';

export const AUTHORIZATION_GROUP = 'authorization.k8s.io';
const VERSION = 'v1';

/** The discovery entries of the review resources. */
export const authorizationGroup: GroupResources = {
  group: AUTHORIZATION_GROUP,
  versions: [{ version: VERSION, resources: [
    { name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] },
    { name: 'selfsubjectrulesreviews', singularName: 'selfsubjectrulesreview', namespaced: false, kind: 'SelfSubjectRulesReview', verbs: ['create'] },
  ] }],
};

/** Paths outside resources that the token holder may GET. */
const NON_RESOURCE = ['/api', '/api/*', '/apis', '/apis/*', '/version', '/healthz', '/livez', '/readyz', '/openapi/*', '/metrics'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** What is served: every group's resources (with `resource/subresource` entries) and their verbs. */
export interface ServedResources {
  groups: readonly GroupResources[];
}

function find(served: ServedResources, group: string, resource: string, subresource: string): LegacyResource | undefined {
  const name = subresource ? `${resource}/${subresource}` : resource;
  for (const g of served.groups) {
    if (g.group !== group) continue;
    for (const v of g.versions) {
      const found = v.resources.find((r) => r.name === name);
      if (found) return found;
    }
  }
  return undefined;
}

function decide(served: ServedResources, spec: Obj): { allowed: boolean; reason: string } {
  if (isObj(spec.resourceAttributes)) {
    const a = spec.resourceAttributes;
    let [group, resource] = [str(a.group), str(a.resource)];
    const [subresource, verb] = [str(a.subresource), str(a.verb)];
    // kubectl sends `resource.group` as the resource when its discovery cannot map it (a group
    // that lists only subresources, like KubeVirt's subresources.kubevirt.io).
    if (group === '' && resource.includes('.')) [resource, group] = [resource.slice(0, resource.indexOf('.')), resource.slice(resource.indexOf('.') + 1)];
    const what = `${subresource ? `${resource}/${subresource}` : resource}${group ? `.${group}` : ''}`;
    const found = find(served, group, resource, subresource);
    if (!found) return { allowed: false, reason: `pxevirt does not serve ${what}` };
    if (verb === '*' || (found.verbs ?? []).includes(verb)) return { allowed: true, reason: 'the token holder may do everything pxevirt serves' };
    return { allowed: false, reason: `pxevirt does not serve ${verb} on ${what} (it serves ${(found.verbs ?? []).join(', ')})` };
  }
  if (isObj(spec.nonResourceAttributes)) {
    const { path, verb } = { path: str(spec.nonResourceAttributes.path), verb: str(spec.nonResourceAttributes.verb) };
    const served = NON_RESOURCE.some((p) => (p.endsWith('/*') ? path.startsWith(p.slice(0, -1)) : path === p));
    if (served && (verb === 'get' || verb === 'head')) return { allowed: true, reason: 'the token holder may read what pxevirt serves' };
    return { allowed: false, reason: `pxevirt does not serve ${verb} ${path}` };
  }
  throw badRequest('spec: expected resourceAttributes or nonResourceAttributes, found neither');
}

/** POST of a SelfSubjectAccessReview or SelfSubjectRulesReview. */
export function accessReview(served: ServedResources, resource: string, body: Buffer | undefined, contentType: string | undefined): ApiResponse {
  const review = decodeBody(body, contentType);
  if (!isObj(review)) throw badRequest('expected a SelfSubjectAccessReview object');
  const spec = isObj(review.spec) ? review.spec : {};
  const meta = { creationTimestamp: null };
  if (resource === 'selfsubjectaccessreviews') {
    return json(201, { kind: 'SelfSubjectAccessReview', apiVersion: `${AUTHORIZATION_GROUP}/${VERSION}`, metadata: meta, spec, status: decide(served, spec) });
  }
  const resourceRules = served.groups.flatMap((g) => {
    const byVerbs = new Map<string, string[]>();
    for (const r of g.versions.flatMap((v) => v.resources)) {
      const key = (r.verbs ?? []).join(',');
      if (key && !(byVerbs.get(key) ?? []).includes(r.name)) byVerbs.set(key, [...(byVerbs.get(key) ?? []), r.name]);
    }
    return [...byVerbs].map(([verbs, resources]) => ({ verbs: verbs.split(','), apiGroups: [g.group], resources }));
  });
  const status = { resourceRules, nonResourceRules: [{ verbs: ['get'], nonResourceURLs: NON_RESOURCE }], incomplete: false };
  return json(201, { kind: 'SelfSubjectRulesReview', apiVersion: `${AUTHORIZATION_GROUP}/${VERSION}`, metadata: meta, spec, status });
}
