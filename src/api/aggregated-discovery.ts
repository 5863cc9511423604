// Aggregated discovery (apidiscovery.k8s.io v2, and v2beta1 which kubectl 1.32 also
// accepts): every group, version and resource of /api or /apis in one document. Built from
// the legacy APIResourceLists, the way kube-aggregator converts an aggregated server's
// discovery, so both forms come from one source.

export type DiscoveryVersion = 'v2' | 'v2beta1';

/** A legacy APIResourceList entry (`name` may be `resource/subresource`). */
export interface LegacyResource {
  name: string;
  singularName?: string;
  namespaced?: boolean;
  kind?: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}

export interface GroupResources {
  /** '' for the core group. */
  group: string;
  versions: Array<{ version: string; resources: LegacyResource[] }>;
}

const FORM = /^application\/json$/i;

/** The aggregated form the Accept header asks for first, or undefined for the legacy documents. */
export function negotiateDiscovery(accept: string | undefined): DiscoveryVersion | undefined {
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...rest] = range.split(';').map((p) => p.trim());
    const params = new Map(rest.map((p) => p.split('=').map((s) => s.trim()) as [string, string]));
    if (params.get('q') === '0') continue;
    if (params.has('g') || params.has('as')) {
      if (!FORM.test(type) || params.get('g') !== 'apidiscovery.k8s.io' || params.get('as') !== 'APIGroupDiscoveryList') continue;
      const v = params.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
      continue;
    }
    // A plain type the legacy documents satisfy, listed before any aggregated one.
    if (FORM.test(type) || type === '*/*' || type === 'application/*') return undefined;
  }
  return undefined;
}

/** The response content type of an aggregated document. */
export const aggregatedContentType = (v: DiscoveryVersion): string => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;

const scopeOf = (r: LegacyResource) => (r.namespaced ? 'Namespaced' : 'Cluster');

function versionDoc(group: string, version: string, resources: LegacyResource[]): Record<string, unknown> {
  const byName = new Map<string, Record<string, unknown> & { subresources: unknown[] }>();
  for (const r of resources) {
    if (r.name.includes('/')) continue;
    byName.set(r.name, {
      resource: r.name,
      ...(r.kind ? { responseKind: { group, version, kind: r.kind } } : {}),
      scope: scopeOf(r),
      singularResource: r.singularName ?? '',
      verbs: r.verbs ?? [],
      ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories?.length ? { categories: r.categories } : {}),
      subresources: [],
    });
  }
  for (const r of resources) {
    const [parent = '', sub] = r.name.split('/', 2);
    if (sub === undefined) continue;
    // A subresource whose parent lives in another group (KubeVirt's subresources.kubevirt.io)
    // gets a parent entry of its own, as kube-aggregator does.
    let entry = byName.get(parent);
    if (!entry) byName.set(parent, (entry = { resource: parent, scope: scopeOf(r), singularResource: '', verbs: [], subresources: [] }));
    entry.subresources.push({ subresource: sub, ...(r.kind ? { responseKind: { group, version, kind: r.kind } } : {}), verbs: r.verbs ?? [] });
  }
  return { version, resources: [...byName.values()].map(({ subresources, ...rest }) => (subresources.length > 0 ? { ...rest, subresources } : rest)), freshness: 'Current' };
}

/** The APIGroupDiscoveryList for these groups (the core group alone for /api, the rest for /apis). */
export function aggregatedDiscovery(groups: readonly GroupResources[], v: DiscoveryVersion): Record<string, unknown> {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${v}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((ver) => versionDoc(g.group, ver.version, ver.resources)),
    })),
  };
}
