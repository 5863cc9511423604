// Discovery documents: /version, /api, /apis, /apis/{group}, /api/v1 and /apis/{group}/{version},
// all built from one list of served groups (the kinds' groups plus groups without kinds).
import type { KindInfo } from '../resources/kind.ts';
import { apiVersionOf, type Registry } from './registry.ts';
import type { GroupResources, LegacyResource } from './aggregated-discovery.ts';

export const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

/** The /version document: the Kubernetes version whose API pxevirt follows. */
export function versionInfo(pxevirtVersion: string): Record<string, string> {
  return {
    major: '1',
    minor: '32',
    gitVersion: `v1.32.0+pxevirt-${pxevirtVersion}`,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsx',
    platform: `${process.platform}/${process.arch}`,
  };
}

/** /api: the core group's versions. */
export const coreVersions = (): Record<string, unknown> => ({
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }],
});

function groupDoc(g: GroupResources): Record<string, unknown> {
  const list = g.versions.map(({ version }) => ({ groupVersion: apiVersionOf(g.group, version), version }));
  return { name: g.group, versions: list, preferredVersion: list[0] };
}

/** /apis: every named group. */
export function groupList(groups: readonly GroupResources[]): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.filter((g) => g.group !== '').map(groupDoc) };
}

/** /apis/{group}, or undefined when the group is not served. */
export function groupInfo(groups: readonly GroupResources[], group: string): Record<string, unknown> | undefined {
  const found = groups.find((g) => g.group === group && group !== '');
  return found ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(found) } : undefined;
}

function resourcesOf(kind: KindInfo): LegacyResource[] {
  const main = {
    name: kind.plural,
    singularName: kind.singular,
    namespaced: kind.namespaced,
    kind: kind.kind,
    verbs: [...VERBS],
    ...(kind.shortNames.length > 0 ? { shortNames: kind.shortNames } : {}),
    ...(kind.categories && kind.categories.length > 0 ? { categories: kind.categories } : {}),
  };
  if (!kind.statusSubresource) return [main];
  return [main, { name: `${kind.plural}/status`, singularName: '', namespaced: kind.namespaced, kind: kind.kind, verbs: ['get', 'patch', 'update'] }];
}

/** /api/v1 or /apis/{group}/{version}, or undefined when nothing is served there. */
export function resourceList(groups: readonly GroupResources[], group: string, version: string): Record<string, unknown> | undefined {
  const found = groups.find((g) => g.group === group)?.versions.find((v) => v.version === version);
  if (!found) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources: found.resources };
}

/** Every served group with each version's resources (what aggregated discovery is built from). */
export function groupResources(registry: Registry): GroupResources[] {
  return registry.groups().map(({ group, versions }) => ({
    group,
    versions: versions.map((version) => ({ version, resources: registry.inGroupVersion(group, version).flatMap(resourcesOf) })),
  }));
}
