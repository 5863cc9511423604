// Kubernetes name rules (DNS-1123 subdomain and label) with the API server's message texts,
// and the metadata checks every kind shares.
import { CauseType, type Cause } from './causes.ts';

const LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN_FMT = `${LABEL_FMT}(\\.${LABEL_FMT})*`;
const LABEL = new RegExp(`^${LABEL_FMT}$`);
const SUBDOMAIN = new RegExp(`^${SUBDOMAIN_FMT}$`);

/** k8s.io/apimachinery's RegexError text. */
function regexError(message: string, format: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${format}')`;
  return `${message} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${format}')`;
}

export const DNS1123_SUBDOMAIN_MESSAGE = regexError(
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  SUBDOMAIN_FMT,
  'example.com',
);
export const DNS1123_LABEL_MESSAGE = regexError(
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
  LABEL_FMT,
  'my-name',
  '123-abc',
);

/** The problems with `value` as a DNS-1123 subdomain (empty when valid), as Kubernetes words them. */
export function dns1123SubdomainErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 253) errors.push('must be no more than 253 characters');
  if (!SUBDOMAIN.test(value)) errors.push(DNS1123_SUBDOMAIN_MESSAGE);
  return errors;
}

/** The problems with `value` as a DNS-1123 label (empty when valid). */
export function dns1123LabelErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (!LABEL.test(value)) errors.push(DNS1123_LABEL_MESSAGE);
  return errors;
}

/** Kubernetes field-error body: `Invalid value: "Foo": <detail>`. */
export function invalidValue(value: unknown, detail: string): string {
  return `Invalid value: ${JSON.stringify(value)}: ${detail}`;
}

export type NameRule = 'subdomain' | 'label';

/**
 * Checks metadata.name (and generateName when name is empty) against a DNS-1123 rule.
 * A name is required unless generateName is given (the API server then makes one).
 */
export function validateObjectName(object: Record<string, unknown>, rule: NameRule = 'subdomain', base = 'metadata'): Cause[] {
  const meta = object.metadata;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    return [{ type: CauseType.Required, field: `${base}.name`, message: 'Required value: name or generateName is required' }];
  }
  const { name, generateName } = meta as Record<string, unknown>;
  const check = rule === 'label' ? dns1123LabelErrors : dns1123SubdomainErrors;
  if (name === undefined || name === '') {
    if (typeof generateName === 'string' && generateName !== '') {
      // A generated name appends 5 characters; Kubernetes checks the prefix with a trailing char.
      return check(`${generateName.replace(/-$/, '')}a`).map((m) => ({ type: CauseType.Invalid, field: `${base}.generateName`, message: invalidValue(generateName, m) }));
    }
    return [{ type: CauseType.Required, field: `${base}.name`, message: 'Required value: name or generateName is required' }];
  }
  if (typeof name !== 'string') return [{ type: CauseType.Invalid, field: `${base}.name`, message: invalidValue(name, 'must be a string') }];
  return check(name).map((m) => ({ type: CauseType.Invalid, field: `${base}.name`, message: invalidValue(name, m) }));
}
