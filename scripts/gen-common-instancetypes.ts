// Generates manifests/common-instancetypes.yaml — every cluster instancetype and cluster preference
// of KubeVirt's common-instancetypes bundle — from the data description in
// scripts/common-instancetypes/ (series.ts, preferences.ts), composing the objects the way the
// upstream kustomize tree does and stamping the version label as upstream's release does.
// Run: node --import tsx scripts/gen-common-instancetypes.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { COMPONENTS, PREFERENCE_TREE, type Patch } from './common-instancetypes/preferences.ts';
import { SERIES, type Series } from './common-instancetypes/series.ts';
import { SOURCE } from './common-instancetypes/source.ts';

type Obj = Record<string, unknown>;
const API_VERSION = 'instancetype.kubevirt.io/v1beta1';
const L = 'instancetype.kubevirt.io/';
const VERSION_LABEL = { [`${L}common-instancetypes-version`]: SOURCE.describe };
export const BUNDLE_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'manifests', 'common-instancetypes.yaml');

const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Kustomize's strategic merge for maps (the bundle's patches hold no lists): `from` wins, maps merge. */
function merge(into: Obj, from: Obj): Obj {
  for (const [key, value] of Object.entries(from)) {
    const current = into[key];
    into[key] = isMap(current) && isMap(value) ? merge({ ...current }, value) : structuredClone(value);
  }
  return into;
}

/** One size of a series (`hugepages`: the cx1/m1 variant it is). */
function instancetype(series: Series, word: string, hugepages: '2Mi' | '1Gi' | undefined): Obj {
  const [size, vcpus, memory] = word.split(':') as [string, string, string];
  const sizeName = `${size}${hugepages === '1Gi' ? '1gi' : ''}`;
  const guest = Number(vcpus);
  const spec = merge(
    { cpu: { guest, ...(series.maxSocketsIsGuest ? { maxSockets: guest } : {}) }, memory: { guest: memory, ...(hugepages ? { hugepages: { pageSize: hugepages } } : {}) } },
    series.spec ?? {},
  );
  return {
    apiVersion: API_VERSION,
    kind: 'VirtualMachineClusterInstancetype',
    metadata: {
      name: `${series.prefix}.${sizeName}`,
      annotations: { [`${L}description`]: series.description, [`${L}displayName`]: series.displayName },
      labels: {
        [`${L}class`]: series.className,
        [`${L}icon-pf`]: series.icon,
        [`${L}version`]: '1',
        [`${L}vendor`]: 'kubevirt.io',
        ...series.labels,
        [`${L}cpu`]: vcpus,
        [`${L}memory`]: memory,
        [`${L}size`]: sizeName,
        ...(hugepages ? { [`${L}hugepages`]: hugepages } : {}),
        ...VERSION_LABEL,
      },
    },
    spec,
  };
}

function applyPatch(object: { metadata: { name: string; labels: Obj; annotations: Obj }; spec: Obj }, patch: Patch): void {
  if (patch.labels) merge(object.metadata.labels, patch.labels);
  if (patch.annotations) merge(object.metadata.annotations, patch.annotations);
  if (patch.spec) merge(object.spec, patch.spec);
}

/** A node of the preference tree folded over its parents: kustomize's resources → components → name. */
function preferenceAt(dir: string, seen: string[] = []): { metadata: { name: string; labels: Obj; annotations: Obj }; spec: Obj } {
  const node = PREFERENCE_TREE[dir];
  if (!node || seen.includes(dir)) throw new Error(`preference tree: ${JSON.stringify(dir)} is ${node ? 'its own parent' : 'not a node'} (path ${[...seen, dir].join(' → ')})`);
  const object = node.from ? preferenceAt(node.from, [...seen, dir]) : { metadata: { name: '', labels: {}, annotations: {} }, spec: {} };
  for (const p of node.patches) {
    const patch = typeof p === 'string' ? COMPONENTS[p] : p;
    if (!patch) throw new Error(`preference ${dir}: component ${JSON.stringify(p)} is not in COMPONENTS (expected one of ${Object.keys(COMPONENTS).join(', ')})`);
    applyPatch(object, patch);
  }
  if (node.name !== undefined) object.metadata.name = node.name;
  if (node.suffix !== undefined) object.metadata.name += node.suffix;
  return object;
}

function preference(dir: string): Obj {
  const { metadata, spec } = preferenceAt(dir);
  return { apiVersion: API_VERSION, kind: 'VirtualMachineClusterPreference', metadata: { ...metadata, labels: { ...metadata.labels, ...VERSION_LABEL } }, spec };
}

const nameOf = (o: Obj): string => String((o.metadata as { name: string }).name);

/** The bundle's documents, instancetypes then preferences, each sorted by name. */
export function bundleObjects(): Obj[] {
  const types = SERIES.flatMap((s) => (s.hugepageVariants ? (['2Mi', '1Gi'] as const) : [undefined]).flatMap((h) => s.sizes.split(' ').map((w) => instancetype(s, w, h))));
  const preferences = Object.entries(PREFERENCE_TREE).filter(([, node]) => !node.base).map(([dir]) => preference(dir));
  const byName = (a: Obj, b: Obj): number => nameOf(a).localeCompare(nameOf(b));
  return [...types.sort(byName), ...preferences.sort(byName)];
}

/** The bundle as one multi-document YAML file. */
export function bundleYaml(): string {
  const header = [
    '# KubeVirt common-instancetypes: every cluster instancetype (cx1, d1, m1, n1, o1, rt1, u1) and cluster preference.',
    `# Generated by scripts/gen-common-instancetypes.ts from its description of ${SOURCE.repository}`,
    `# at ${SOURCE.describe} (${SOURCE.commit}). Do not edit by hand. Apply with: kubectl apply -f manifests/common-instancetypes.yaml`,
  ].join('\n');
  return `${header}\n${bundleObjects().map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('')}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = bundleYaml();
  if (process.argv.includes('--check')) {
    const current = readFileSync(BUNDLE_PATH, 'utf8');
    if (current !== text) {
      process.stderr.write(`${BUNDLE_PATH} is out of date: run node --import tsx scripts/gen-common-instancetypes.ts\n`);
      process.exit(1);
    }
  } else writeFileSync(BUNDLE_PATH, text);
}
