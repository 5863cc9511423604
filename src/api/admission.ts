// Defaulting and admission for writes: the kind's pure default() and validate(), generic
// metadata checks, and 422 Invalid Statuses worded like the API server (or like KubeVirt's
// webhooks for kubevirt.io kinds, so users see what KubeVirt shows).
import type { KindInfo, Operation } from '../resources/kind.ts';
import type { Cause } from '../resources/causes.ts';
import { admissionDenial, webhookName } from '../resources/admission.ts';
import { ApiError, Reason } from './errors.ts';

/** What a mutating admission step sees: the defaulted object of a write, before validation. */
export interface MutationRequest {
  kind: KindInfo;
  operation: Operation;
  object: Record<string, unknown>;
  /** The stored object on UPDATE. */
  old?: Record<string, unknown> | undefined;
  dryRun: boolean;
}

/** A mutating step's refusal: 422 as `admission webhook "<webhook>" denied the request: …`. */
export interface MutationDenial {
  webhook: string;
  causes: Cause[];
}

/**
 * A mutating admission step (like a mutating webhook) the API's owner plugs in: returns the
 * object to validate and store (the same one when it has nothing to change) or a denial.
 */
export type Mutator = (request: MutationRequest) => Record<string, unknown> | MutationDenial;

const isDenial = (r: Record<string, unknown> | MutationDenial): r is MutationDenial => typeof r.webhook === 'string' && Array.isArray(r.causes);

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks metadata.name the way the API server does (DNS-1123 subdomain; label for namespaces). */
export function metadataCauses(kind: KindInfo, name: string | undefined): Cause[] {
  if (!name) return [{ type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }];
  const label = kind.group === '' && kind.kind === 'Namespace';
  const ok = label ? DNS1123_LABEL.test(name) && name.length <= 63 : DNS1123_SUBDOMAIN.test(name) && name.length <= 253;
  if (ok) return [];
  const what = label ? 'a lowercase RFC 1123 label' : 'a lowercase RFC 1123 subdomain';
  return [
    {
      type: 'FieldValueInvalid',
      field: 'metadata.name',
      message: `Invalid value: ${JSON.stringify(name)}: ${what} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    },
  ];
}

/** KubeVirt's validating webhook for a kind and operation. */
export const webhookOf = (kind: KindInfo, operation: Operation): string => webhookName(kind.kind, operation) ?? `${kind.plural}-validator.kubevirt.io`;

// A message that names no field path gets its cause's field in front, so every message says where.
const NAMES_A_PATH = /\b(spec|metadata|status)[.[]/;
const renderCause = (c: Cause): string => (!/[.[]/.test(c.field) || NAMES_A_PATH.test(c.message) ? c.message : `${c.field}: ${c.message}`);

/** The 422 Invalid error for these causes, worded for the kind. */
export function invalidError(kind: KindInfo, name: string, causes: readonly Cause[], operation: Operation, byWebhook = true, webhook?: string): ApiError {
  const details = {
    name,
    ...(kind.group ? { group: kind.group } : {}),
    kind: kind.kind,
    causes: causes.map((c) => ({ reason: c.type, message: c.message, field: c.field })),
  };
  if ((kind.group === 'kubevirt.io' && byWebhook) || webhook !== undefined) {
    const denial = admissionDenial(causes);
    details.causes = denial.causes.map((c) => ({ reason: c.type, message: c.message, field: c.field }));
    const message = admissionDenial(causes.map((c) => ({ ...c, message: renderCause(c) }))).message;
    return new ApiError(422, Reason.Invalid, `admission webhook "${webhook ?? webhookOf(kind, operation)}" denied the request: ${message}`, details);
  }
  const qualified = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
  const list = causes.map(renderCause);
  const text = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new ApiError(422, Reason.Invalid, `${qualified} "${name}" is invalid: ${text}`, details);
}

/** Defaults, mutates (when a mutator is given), then validates an object for a write; throws the 422 on any cause. */
export function admit(
  kind: KindInfo,
  object: Record<string, unknown>,
  operation: Operation,
  old?: Record<string, unknown>,
  mutation?: { mutate?: Mutator | undefined; dryRun: boolean },
): Record<string, unknown> {
  const context = { operation, ...(old ? { old } : {}) };
  let defaulted = kind.default(object, context);
  const meta = (defaulted.metadata ?? {}) as { name?: string };
  // The API server checks metadata itself before KubeVirt's validating webhook sees the object.
  const metaCauses = operation === 'CREATE' ? metadataCauses(kind, meta.name) : [];
  if (metaCauses.length > 0) throw invalidError(kind, meta.name ?? '', metaCauses, operation, false);
  // Mutating steps run before validation, as in Kubernetes; but a refusal that depends on other
  // objects (a MAC in use) is reported only for an object that is otherwise valid, so the
  // user sees the problems of the request itself first.
  if (mutation?.mutate) {
    const mutated = mutation.mutate({ kind, operation, object: defaulted, old, dryRun: mutation.dryRun });
    if (isDenial(mutated)) {
      const own = kind.validate(defaulted, context);
      if (own.length > 0) throw invalidError(kind, meta.name ?? '', own, operation);
      throw invalidError(kind, meta.name ?? '', mutated.causes, operation, true, mutated.webhook);
    }
    defaulted = mutated;
  }
  const causes = kind.validate(defaulted, context);
  if (causes.length > 0) throw invalidError(kind, meta.name ?? '', causes, operation);
  return defaulted;
}
