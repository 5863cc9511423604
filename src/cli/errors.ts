// The one place CLI failures become messages and exit codes (kubectl's wording for API errors).
import { ValidationError } from '../resources/causes.ts';
import { ApiStatusError, ConnectionError, ManyErrors, type ApiStatus } from './client/cli-errors.ts';

export const ExitCode = { ok: 0, failure: 1, usage: 2, invalid: 3 } as const;

/** kubectl's text for an API Status (cmdutil.CheckErr / StandardErrorMessage). */
export function apiStatusMessage(status: ApiStatus): string {
  const message = status.message ?? '';
  if (status.reason === 'Unauthorized') return `error: You must be logged in to the server (${message})`;
  const details = status.details;
  if (status.reason === 'Invalid' && details) {
    let head = 'The request is invalid';
    if (details.kind || details.name) head = `The ${details.kind ?? ''} "${details.name ?? ''}" is invalid`;
    else if (details.causes?.[0]?.field) head = `The request is invalid: ${details.causes[0].field}`;
    const causes = [...new Set((details.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`))];
    if (causes.length === 0) return head;
    if (causes.length === 1) return `${head}: ${causes[0] ?? ''}`;
    return `${head}: \n${causes.map((c) => `* ${c}`).join('\n')}`;
  }
  if (status.reason === 'Invalid' && !details) return `The request is invalid${message ? `: ${message}` : ''}`;
  return status.reason ? `Error from server (${status.reason}): ${message}` : `Error from server: ${message}`;
}

/** Prints an error for a person and returns the exit code it maps to. */
export function reportError(err: unknown, write: (text: string) => void): number {
  if (err instanceof ManyErrors) {
    for (const e of err.errors) reportError(e, write);
    return ExitCode.failure;
  }
  if (err instanceof ApiStatusError) {
    write(`${apiStatusMessage(err.status)}\n`);
    return ExitCode.failure;
  }
  if (err instanceof ConnectionError) {
    write(`${err.message}\n`);
    return ExitCode.failure;
  }
  if (err instanceof ValidationError) {
    write(`error: ${err.message}\n`);
    return ExitCode.invalid;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(`error: ${message}\n`);
  return ExitCode.failure;
}
