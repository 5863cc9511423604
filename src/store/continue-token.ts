// The opaque `continue` token of a paged list: base64 of JSON holding the list's
// resourceVersion and the last key returned, so the next page starts after that key.
import { BadQueryError } from './errors.ts';

export interface ContinueState {
  /** The resourceVersion of the first page, repeated on every page. */
  resourceVersion: string;
  namespace: string;
  name: string;
}

/** Encodes the position after which the next page starts. */
export function encodeContinue(state: ContinueState): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: state.resourceVersion, ns: state.namespace, n: state.name })).toString('base64');
}

/** Decodes a token from encodeContinue; anything else is a BadQueryError. */
export function decodeContinue(token: string): ContinueState {
  const fail = (): never => {
    throw new BadQueryError('continue', token, 'the continue token of a previous list response');
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    return fail();
  }
  if (typeof parsed !== 'object' || parsed === null) return fail();
  const { v, rv, ns, n } = parsed as Record<string, unknown>;
  if (v !== 1 || typeof rv !== 'string' || !/^\d+$/.test(rv) || typeof ns !== 'string' || typeof n !== 'string') return fail();
  return { resourceVersion: rv, namespace: ns, name: n };
}
