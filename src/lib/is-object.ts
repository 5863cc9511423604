// The one "is this a JSON object (not null, not an array)" guard, for code that reads unknown input.

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
