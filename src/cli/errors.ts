// The one place CLI failures become messages and exit codes.
import { ValidationError } from '../resources/causes.ts';

export const ExitCode = { ok: 0, failure: 1, usage: 2, invalid: 3 } as const;

/** Prints an error for a person and returns the exit code it maps to. */
export function reportError(err: unknown, write: (text: string) => void): number {
  if (err instanceof ValidationError) {
    write(`error: ${err.message}\n`);
    return ExitCode.invalid;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(`error: ${message}\n`);
  return ExitCode.failure;
}
