// The kinds the API serves, indexed for URLs and discovery.
import type { KindInfo } from '../resources/kind.ts';

export interface Registry {
  kinds: readonly KindInfo[];
  /** The kind served at /apis/{group}/{version}/{plural}, if any. */
  byResource(group: string, version: string, plural: string): KindInfo | undefined;
  /** Groups in discovery order ('' first), each with its served versions. */
  groups(): Array<{ group: string; versions: string[] }>;
  /** The kinds served in one group-version. */
  inGroupVersion(group: string, version: string): KindInfo[];
}

/** Builds the registry (the kinds must include Namespace, which the API checks writes against). */
export function createRegistry(kinds: readonly KindInfo[]): Registry {
  const all = [...kinds];
  const byKey = new Map<string, KindInfo>();
  for (const k of all) for (const v of k.versions) byKey.set(`${k.group}/${v}/${k.plural}`, k);
  const groups = new Map<string, string[]>();
  for (const k of all) {
    const versions = groups.get(k.group) ?? [];
    for (const v of k.versions) if (!versions.includes(v)) versions.push(v);
    groups.set(k.group, versions);
  }
  const ordered = [...groups.entries()].sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : 0)).map(([group, versions]) => ({ group, versions }));
  return {
    kinds: all,
    byResource: (group, version, plural) => byKey.get(`${group}/${version}/${plural}`),
    groups: () => ordered,
    inGroupVersion: (group, version) => all.filter((k) => k.group === group && k.versions.includes(version)),
  };
}

/** `group/version`, or just `version` for the core group. */
export const apiVersionOf = (group: string, version: string): string => (group ? `${group}/${version}` : version);
