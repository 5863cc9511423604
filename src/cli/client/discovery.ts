// Discovery: which resources the server serves, and what a name typed on the command line
// (`vmi`, `VirtualMachineInstance`, `nad`, `virtualmachineinstances.kubevirt.io`) means.
import { UnknownResourceError } from './cli-errors.ts';
import type { DiscoveryCache } from './discovery-cache.ts';

/** One served resource, as discovery describes it. */
export interface ResourceInfo {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural, used in URLs. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  /** Groups such as `all` that `get all` expands to. */
  categories: string[];
}

interface ApiResource {
  name: string;
  singularName?: string;
  namespaced?: boolean;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}
interface GroupList {
  groups?: { name: string; versions?: { groupVersion: string; version: string }[]; preferredVersion?: { version: string } }[];
}

/** Turns one APIResourceList into ResourceInfos (subresources like `pods/log` left out). */
export function resourcesFromList(group: string, version: string, list: { resources?: ApiResource[] }): ResourceInfo[] {
  return (list.resources ?? [])
    .filter((r) => !r.name.includes('/'))
    .map((r) => ({
      group,
      version,
      resource: r.name,
      singular: r.singularName || r.kind.toLowerCase(),
      kind: r.kind,
      namespaced: r.namespaced ?? false,
      shortNames: r.shortNames ?? [],
      verbs: r.verbs ?? [],
      categories: r.categories ?? [],
    }));
}

/** Finds what `arg` names among `resources` (core group first, then in server order); undefined when nothing. */
export function matchResource(resources: readonly ResourceInfo[], arg: string): ResourceInfo | undefined {
  const lower = arg.toLowerCase();
  const dot = lower.indexOf('.');
  const name = dot < 0 ? lower : lower.slice(0, dot);
  const rest = dot < 0 ? undefined : lower.slice(dot + 1);
  const fits = (r: ResourceInfo) => {
    if (rest !== undefined) {
      const vg = rest.match(/^(v\d+(?:(?:alpha|beta)\d+)?)\.(.+)$/);
      const groupOk = r.group === rest || (vg !== null && r.version === vg[1] && r.group === vg[2]);
      if (!groupOk) return false;
    }
    return r.resource === name || r.singular === name || r.kind.toLowerCase() === name || r.shortNames.includes(name);
  };
  return resources.find((r) => r.group === '' && fits(r)) ?? resources.find(fits);
}

/** Resolves names against a server's discovery documents, fetched once per process. */
export class Discovery {
  private readonly get: (path: string) => Promise<unknown>;
  private all?: Promise<ResourceInfo[]>;
  private readonly byGroupVersion = new Map<string, Promise<ResourceInfo[]>>();
  private readonly cache: DiscoveryCache | undefined;
  /** Whether `all` came from the disk cache (a miss then asks the server once). */
  private fromCache = false;

  constructor(get: (path: string) => Promise<unknown>, cache?: DiscoveryCache) {
    this.get = get;
    this.cache = cache;
  }

  /** Every resource of every group's preferred version (plus any version asked for by name). */
  resources(): Promise<ResourceInfo[]> {
    if (this.all) return this.all;
    const cached = this.cache?.load();
    if (cached) {
      this.fromCache = true;
      this.all = Promise.resolve(cached);
      return this.all;
    }
    return this.fresh();
  }

  /** Asks the server for every group's resources and refreshes the disk cache. */
  private fresh(): Promise<ResourceInfo[]> {
    this.fromCache = false;
    this.byGroupVersion.clear();
    this.all = (async () => {
      const groups = ((await this.get('/apis')) as GroupList).groups ?? [];
      const lists = await Promise.all([
        this.groupVersion('', 'v1'),
        ...groups.map((g) => this.groupVersion(g.name, g.preferredVersion?.version ?? g.versions?.[0]?.version ?? 'v1')),
      ]);
      const all = lists.flat();
      this.cache?.save(all);
      return all;
    })();
    return this.all;
  }

  /** The resources of one group-version (`''`, `v1` is the core group). */
  groupVersion(group: string, version: string): Promise<ResourceInfo[]> {
    const key = `${group}/${version}`;
    let found = this.byGroupVersion.get(key);
    if (!found) {
      const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
      found = this.get(path).then((list) => resourcesFromList(group, version, list as { resources?: ApiResource[] }));
      this.byGroupVersion.set(key, found);
    }
    return found;
  }

  /** What a resource name typed by a person means; throws UnknownResourceError. */
  async resolve(arg: string): Promise<ResourceInfo> {
    const vg = arg.toLowerCase().match(/^[^.]+\.(v\d+(?:(?:alpha|beta)\d+)?)\.(.+)$/);
    const pool = vg ? await this.groupVersion(vg[2] ?? '', vg[1] ?? '').catch(() => []) : await this.resources();
    const found = matchResource(pool, arg) ?? (!vg && this.fromCache ? matchResource(await this.fresh(), arg) : undefined);
    if (!found) throw new UnknownResourceError(arg);
    return found;
  }

  /** What a typed name means: one resource, or every resource of a category (`all`). */
  async resolveMany(arg: string): Promise<ResourceInfo[]> {
    try {
      return [await this.resolve(arg)];
    } catch (err) {
      // resolve() refreshed a cached list that did not know the name, so this is the server's.
      const inCategory = (await this.resources()).filter((r) => r.categories.includes(arg.toLowerCase()));
      if (inCategory.length === 0) throw err;
      return inCategory;
    }
  }

  /** The resource that serves `kind` in `apiVersion` (from a manifest); undefined when none. */
  async forKind(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const list = await this.groupVersion(group ?? '', version ?? '').catch(() => []);
    return list.find((r) => r.kind === kind);
  }
}

/** The URL path of a collection or (with `name`) one object. */
export function resourcePath(info: ResourceInfo, namespace: string | undefined, name?: string): string {
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.resource}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

/** How kubectl names a resource type in output: `virtualmachineinstance.kubevirt.io`, `namespace`. */
export function typeName(kind: string, group: string): string {
  return group ? `${kind.toLowerCase()}.${group}` : kind.toLowerCase();
}

/** The group of an apiVersion (`kubevirt.io/v1` → `kubevirt.io`, `v1` → ``). */
export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
}
