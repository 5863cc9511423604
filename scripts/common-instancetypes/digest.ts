// Digests of bundle objects, to compare pxevirt's generated bundle with the published one without
// keeping a copy of it: sha256 over the object's JSON with keys sorted. Run on upstream's own
// build to refresh test/conformance/common-instancetypes-published.json:
//   kubectl kustomize <checkout>/VirtualMachineClusterInstancetypes > it.yaml
//   kubectl kustomize <checkout>/VirtualMachineClusterPreferences > pref.yaml
//   node --import tsx scripts/common-instancetypes/digest.ts it.yaml pref.yaml
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { SOURCE } from './source.ts';

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sorted = (v: unknown): unknown => (Array.isArray(v) ? v.map(sorted) : isMap(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])])) : v);

/** The digest of one object: the first 16 hex digits of sha256 over its key-sorted JSON. */
export const objectDigest = (object: unknown): string => createHash('sha256').update(JSON.stringify(sorted(object))).digest('hex').slice(0, 16);

/** `kind/name` → digest for a list of objects. */
export function digests(objects: Array<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of objects) out[`${String(o.kind)}/${String((o.metadata as { name: string }).name)}`] = objectDigest(o);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // upstream's release adds the version label with yq after `kustomize build`; so do we here.
  const objects = process.argv.slice(2).flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Record<string, any>).filter(Boolean));
  for (const o of objects) o.metadata.labels = { ...o.metadata.labels, 'instancetype.kubevirt.io/common-instancetypes-version': SOURCE.describe };
  const entries = Object.entries(digests(objects)).sort(([a], [b]) => a.localeCompare(b));
  const record = {
    source: `${SOURCE.repository} ${SOURCE.commit} (${SOURCE.describe})`,
    made: 'kubectl kustomize VirtualMachineClusterInstancetypes and VirtualMachineClusterPreferences (kustomize v5.5.0), version label added; scripts/common-instancetypes/digest.ts',
    digests: Object.fromEntries(entries),
  };
  process.stdout.write(`${JSON.stringify(record, null, 1)}\n`);
}
