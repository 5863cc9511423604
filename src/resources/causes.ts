// Validation results shaped like Kubernetes StatusCause, so one list serves the API's
// Status body, the CLI and the PXE server's log.

export const CauseType = {
  Invalid: 'FieldValueInvalid',
  Required: 'FieldValueRequired',
  NotSupported: 'FieldValueNotSupported',
  Duplicate: 'FieldValueDuplicate',
  Unknown: 'FieldValueUnknown',
} as const;
export type CauseType = (typeof CauseType)[keyof typeof CauseType];

/** One thing wrong with one field: the path, what was expected and what was found. */
export interface Cause {
  type: CauseType;
  field: string;
  message: string;
}

/** Renders a found value for a message: strings quoted, objects as JSON, short. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Joins a field path: `join('spec', 'dhcp')` is `spec.dhcp`, `join('', 'x')` is `x`. */
export function join(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

/** The result of parsing untyped input: the typed value when there are no causes. */
export interface Validated<T> {
  value?: T;
  causes: Cause[];
}

/** Formats causes as one line each, `field: message`. */
export function formatCauses(causes: readonly Cause[]): string {
  return causes.map((c) => `${c.field}: ${c.message}`).join('\n');
}

/** Thrown when an object fails validation; keeps every cause. */
export class ValidationError extends Error {
  readonly causes: readonly Cause[];
  constructor(what: string, causes: readonly Cause[]) {
    super(`invalid ${what}:\n${formatCauses(causes)}`);
    this.name = 'ValidationError';
    this.causes = causes;
  }
}
