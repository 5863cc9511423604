// Discovery documents: /version, /api, /apis, /apis/{group}, /api/v1 and /apis/{group}/{version}.
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

function groupDoc(group: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((version) => ({ groupVersion: apiVersionOf(group, version), version }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

/** /apis: every named group. */
export function groupList(registry: Registry): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry.groups().filter((g) => g.group !== '').map((g) => groupDoc(g.group, g.versions)),
  };
}

/** /apis/{group}, or undefined when the group is not served. */
export function groupInfo(registry: Registry, group: string): Record<string, unknown> | undefined {
  const found = registry.groups().find((g) => g.group === group && group !== '');
  return found ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(found.group, found.versions) } : undefined;
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
export function resourceList(registry: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const kinds = registry.inGroupVersion(group, version);
  if (kinds.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources: kinds.flatMap(resourcesOf) };
}

/** Every served group with each version's resources (what aggregated discovery is built from). */
export function groupResources(registry: Registry): GroupResources[] {
  return registry.groups().map(({ group, versions }) => ({
    group,
    versions: versions.map((version) => ({ version, resources: registry.inGroupVersion(group, version).flatMap(resourcesOf) })),
  }));
}
