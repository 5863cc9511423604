// The VMI spec parsed once: untyped input (a request body, a stored object) becomes a typed
// VmiSpec here, after the schema check (vmi-schema.ts) and KubeVirt's spec rules
// (the vmi-*-rules.ts files). Admission parses with it; the controllers parse the stored VMI with it
// before the runtime sees it. Everything after takes the types, never Record<string, unknown>.
import { CauseType, type Cause, type Validated } from './causes.ts';
import { isObj } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { vmiSpecSchema, type VmiSpec } from './vmi-schema.ts';
import { validateDomain } from './vmi-domain-rules.ts';
import { validateArchitecture } from './vmi-arch-rules.ts';
import { validateNetworks } from './vmi-network-rules.ts';
import { validateBootOrderAndDiskVolumes, validateDisks, validateVolumes, validateVolumesHaveDisks } from './vmi-storage-rules.ts';
import type { Obj } from './object-path.ts';

export type { VmiSpec } from './vmi-schema.ts';

/** A VMI as the runtime takes it: who it is, and its parsed spec. */
export interface Vmi {
  metadata: { name: string; namespace?: string; uid: string; annotations?: Record<string, string> };
  spec: VmiSpec;
}

/** KubeVirt's ValidateVirtualMachineInstanceSpec subset for a spec at `base` (`spec` or `spec.template.spec`). */
function validateVmiSpec(spec: Obj, base: string): Cause[] {
  return [
    ...validateDomain(spec, base),
    ...validateArchitecture(spec, base),
    ...validateNetworks(spec, base),
    ...validateBootOrderAndDiskVolumes(spec, base),
    ...validateVolumes(spec, base),
    ...validateDisks(spec, base),
  ];
}

export interface ParseVmiSpecOptions {
  /** Also require a disk for every volume (a VMI's rule; a VM template is checked without it). */
  volumesNeedDisks?: boolean;
}

/** Parses a VMI spec at `base` (`spec`, `spec.template.spec`): schema types, then KubeVirt's spec rules. */
export function parseVmiSpec(input: unknown, base = 'spec', options: ParseVmiSpecOptions = {}): Validated<VmiSpec> {
  if (!isObj(input)) return { causes: [{ type: CauseType.Required, field: base, message: 'Required value' }] };
  const structural = schemaCauses(vmiSpecSchema, input, base);
  if (structural.length > 0) return { causes: structural };
  const causes: Cause[] = [...validateVmiSpec(input, base), ...(options.volumesNeedDisks ? validateVolumesHaveDisks(input, base) : [])];
  if (causes.length > 0) return { causes };
  // The one place untyped input becomes a VmiSpec: the schema and the rules above accepted it.
  return { value: input as VmiSpec, causes: [] };
}

/** Parses a stored VMI (metadata.name and uid, and the spec) into what the runtime takes. */
export function parseVmi(object: unknown): Validated<Vmi> {
  const meta = isObj(object) && isObj(object.metadata) ? object.metadata : {};
  const causes: Cause[] = [];
  for (const key of ['name', 'uid'] as const) {
    if (typeof meta[key] !== 'string' || meta[key] === '') causes.push({ type: CauseType.Required, field: `metadata.${key}`, message: `Required value: expected a string, found ${JSON.stringify(meta[key]) ?? 'nothing'}` });
  }
  const spec = parseVmiSpec(isObj(object) ? object.spec : undefined, 'spec', { volumesNeedDisks: true });
  causes.push(...spec.causes);
  if (causes.length > 0 || !spec.value) return { causes };
  const metadata: Vmi['metadata'] = { name: meta.name as string, uid: meta.uid as string };
  if (typeof meta.namespace === 'string') metadata.namespace = meta.namespace;
  if (isObj(meta.annotations)) {
    const annotations = Object.fromEntries(Object.entries(meta.annotations).filter((e): e is [string, string] => typeof e[1] === 'string'));
    if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  }
  return { value: { metadata, spec: spec.value }, causes: [] };
}
