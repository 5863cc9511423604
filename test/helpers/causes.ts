// Assertions over admission causes for resource tests.
import assert from 'node:assert/strict';
import type { Cause } from '../../src/resources/causes.ts';

/** Fails unless a cause has exactly this field and message; lists what was found. */
export function assertCause(causes: readonly Cause[], field: string, message: string | RegExp): void {
  const hit = causes.some((c) => c.field === field && (typeof message === 'string' ? c.message === message : message.test(c.message)));
  assert.ok(hit, `expected ${field}: ${String(message)}\nfound:\n${causes.map((c) => `  ${c.field}: ${c.message}`).join('\n') || '  nothing'}`);
}
