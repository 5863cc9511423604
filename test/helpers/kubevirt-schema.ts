// Conformance against KubeVirt's own OpenAPI document (../shared/reference/kubevirt-openapi-v1.json,
// swagger 2.0): validates VMIs, VMs and cluster instancetypes/preferences with ajv. The document is read at test time, never copied.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';

/** Where the reference lives: ../shared beside the repository (override with PXEVIRT_KUBEVIRT_OPENAPI). */
export const KUBEVIRT_OPENAPI_PATH =
  process.env.PXEVIRT_KUBEVIRT_OPENAPI ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/reference/kubevirt-openapi-v1.json');

export type KubevirtKind = 'VirtualMachineInstance' | 'VirtualMachine' | 'VirtualMachineClusterInstancetype' | 'VirtualMachineClusterPreference';

let validators: Map<KubevirtKind, ValidateFunction> | undefined;

/** Rewrites swagger `#/definitions/x` refs to the place the definitions live in the wrapper schema. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = key === '$ref' && typeof value === 'string' ? value.replace(/^#\/definitions\//, '#/$defs/') : rewriteRefs(value);
  }
  return out;
}

function load(): Map<KubevirtKind, ValidateFunction> {
  if (validators) return validators;
  const doc = JSON.parse(readFileSync(KUBEVIRT_OPENAPI_PATH, 'utf8')) as { definitions: Record<string, unknown> };
  // Swagger's int32/int64/byte formats and x-kubernetes-* keywords are not JSON Schema: ignore them.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'kubevirt', $defs: rewriteRefs(doc.definitions) });
  validators = new Map([
    ['VirtualMachineInstance', ajv.compile({ $ref: 'kubevirt#/$defs/v1.VirtualMachineInstance' })],
    ['VirtualMachine', ajv.compile({ $ref: 'kubevirt#/$defs/v1.VirtualMachine' })],
    ['VirtualMachineClusterInstancetype', ajv.compile({ $ref: 'kubevirt#/$defs/v1beta1.VirtualMachineClusterInstancetype' })],
    ['VirtualMachineClusterPreference', ajv.compile({ $ref: 'kubevirt#/$defs/v1beta1.VirtualMachineClusterPreference' })],
  ]);
  return validators;
}

/** The problems KubeVirt's schema finds in `object` (`/spec/domain: must have required property 'devices'`); empty when valid. */
export function validateAgainstKubevirt(kind: KubevirtKind, object: unknown): string[] {
  const validate = load().get(kind);
  if (!validate) throw new Error(`no KubeVirt definition for ${kind}`);
  if (validate(object)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}
