// Generates manifests/common-instancetypes.yaml (cluster instancetypes and preferences of KubeVirt's
// common-instancetypes bundle) from the table in scripts/common-instancetypes/table.ts, the way the
// upstream kustomize bases compose them. Run: node --import tsx scripts/gen-common-instancetypes.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { COMPONENTS, PREFERENCES, SERIES, SOURCE, type Preference, type Series, type Size } from './common-instancetypes/table.ts';

const API_VERSION = 'instancetype.kubevirt.io/v1beta1';
const VENDOR = { 'instancetype.kubevirt.io/vendor': 'kubevirt.io' };
export const BUNDLE_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'manifests', 'common-instancetypes.yaml');

const memory = (gib: number): string => (Number.isInteger(gib) ? `${gib}Gi` : `${Math.round(gib * 1024)}Mi`);

/** A deep merge of plain objects (kustomize's strategic merge of the components, for maps). */
function merge(into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(from)) {
    const current = into[key];
    const both = typeof current === 'object' && current !== null && !Array.isArray(current) && typeof value === 'object' && value !== null && !Array.isArray(value);
    into[key] = both ? merge({ ...(current as Record<string, unknown>) }, value as Record<string, unknown>) : structuredClone(value);
  }
  return into;
}

function instancetype(series: Series, size: Size, hugepages: '2Mi' | '1Gi' | undefined): Record<string, unknown> {
  const sizeName = `${size.size}${hugepages === '1Gi' ? '1gi' : ''}`;
  const name = `${series.prefix}.${sizeName}`;
  const cpu: Record<string, unknown> = { guest: size.vcpus, ...(series.maxSocketsIsGuest ? { maxSockets: size.vcpus } : {}) };
  const mem: Record<string, unknown> = { guest: memory(size.memoryGi), ...(hugepages ? { hugepages: { pageSize: hugepages } } : {}) };
  return {
    apiVersion: API_VERSION,
    kind: 'VirtualMachineClusterInstancetype',
    metadata: {
      name,
      annotations: { 'instancetype.kubevirt.io/description': series.description, 'instancetype.kubevirt.io/displayName': series.displayName },
      labels: {
        'instancetype.kubevirt.io/class': series.className,
        'instancetype.kubevirt.io/icon-pf': series.icon,
        'instancetype.kubevirt.io/version': '1',
        ...VENDOR,
        ...series.labels,
        'instancetype.kubevirt.io/cpu': String(size.vcpus),
        'instancetype.kubevirt.io/memory': memory(size.memoryGi),
        'instancetype.kubevirt.io/size': sizeName,
        ...(hugepages ? { 'instancetype.kubevirt.io/hugepages': hugepages } : {}),
      },
    },
    spec: merge({ cpu, memory: mem }, series.spec ?? {}),
  };
}

function preference(p: Preference): Record<string, unknown> {
  const spec: Record<string, unknown> = { annotations: { 'vm.kubevirt.io/os': p.osType } };
  for (const c of p.components) {
    const component = COMPONENTS[c];
    if (!component) throw new Error(`preference ${p.name}: component ${JSON.stringify(c)} is not in COMPONENTS (expected one of ${Object.keys(COMPONENTS).join(', ')})`);
    merge(spec, component);
  }
  if (p.requires) spec.requirements = { cpu: { guest: p.requires.cpu }, memory: { guest: p.requires.memory } };
  return {
    apiVersion: API_VERSION,
    kind: 'VirtualMachineClusterPreference',
    metadata: {
      name: p.name,
      annotations: {
        'openshift.io/provider-display-name': 'KubeVirt',
        'openshift.io/documentation-url': 'https://github.com/kubevirt/common-instancetypes',
        'openshift.io/support-url': 'https://github.com/kubevirt/common-instancetypes/issues',
        tags: `hidden,kubevirt,${p.tag}`,
        iconClass: `icon-${p.icon}`,
        'openshift.io/display-name': p.displayName,
      },
      labels: {
        ...VENDOR,
        'instancetype.kubevirt.io/os-type': p.osType,
        ...(p.requires ? { 'instancetype.kubevirt.io/required-cpu': String(p.requires.cpu), 'instancetype.kubevirt.io/required-memory': p.requires.memory } : {}),
      },
    },
    spec,
  };
}

/** The bundle's documents, instancetypes then preferences, each sorted by name. */
export function bundleObjects(): Array<Record<string, unknown>> {
  const types = SERIES.flatMap((s) => (s.hugepages ?? [undefined]).flatMap((h) => s.sizes.map((size) => instancetype(s, size, h))));
  const byName = (a: Record<string, unknown>, b: Record<string, unknown>): number => String((a.metadata as { name: string }).name).localeCompare(String((b.metadata as { name: string }).name));
  return [...types.sort(byName), ...PREFERENCES.map(preference).sort(byName)];
}

/** The bundle as one multi-document YAML file. */
export function bundleYaml(): string {
  const header = [
    '# KubeVirt common-instancetypes: cluster instancetypes (u1, o1, cx1, m1) and preferences.',
    `# Generated by scripts/gen-common-instancetypes.ts from its table, transcribed from ${SOURCE.repository}`,
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
