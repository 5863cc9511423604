// The one "is this a JSON object (not null, not an array)" guard, for code that reads unknown
// input, and own-member access for code that merges it: a client's key may be `__proto__`.

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Sets an own member, `__proto__` too (as JSON.parse makes it): a key from a client's document
 * assigned plainly as `__proto__` would replace the object's prototype instead.
 */
export function setOwn<N extends Record<string, unknown>>(node: N, key: string, value: N[string]): void {
  if (key === '__proto__') Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
  else (node as Record<string, unknown>)[key] = value;
}

/** An own member's value, never an inherited one (`__proto__` or `constructor` would reach Object.prototype). */
export const ownValue = (node: Record<string, unknown>, key: string): unknown => (Object.hasOwn(node, key) ? node[key] : undefined);
