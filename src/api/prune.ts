// Removes fields the kind's schema does not know, as the API server's structural pruning does;
// fieldValidation decides whether they are an error, a warning or silent. Which fields are
// unknown is the resources layer's findUnknownFields (the same answer the CLI gives).
import type { Schema } from '../resources/kind.ts';
import { findUnknownFields } from '../resources/unknown-fields.ts';

const STEP = /([^.[\]]+)|\[(\d+)\]/g;

/** Deletes the field at `spec.disks[0].foo` from `object`. */
function remove(object: Record<string, unknown>, path: string): void {
  const steps = [...path.matchAll(STEP)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] as string)));
  let at: unknown = object;
  for (const step of steps.slice(0, -1)) {
    if (typeof at !== 'object' || at === null) return;
    at = (at as Record<string | number, unknown>)[step];
  }
  const last = steps.at(-1);
  if (typeof at === 'object' && at !== null && last !== undefined) delete (at as Record<string | number, unknown>)[last];
}

/** Removes unknown fields from `object` in place and returns their paths (`spec.foo`, `spec.disks[0].x`). */
export function pruneUnknownFields(schema: Schema, object: Record<string, unknown>): string[] {
  const found = findUnknownFields(schema, object);
  for (const path of found) remove(object, path);
  return found;
}
