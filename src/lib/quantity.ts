// Kubernetes resource quantities (`1024M`, `1Gi`, `500m`, `1e3`): parsing into a number so
// that admission can compare memory requests, limits and minimums the way the API server does.

const SUFFIX_FACTOR: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

// <signedNumber><suffix>, suffix binary SI, decimal SI, or a decimal exponent (e/E + signed integer).
const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|[mkMGTPE])?$/;

export interface Quantity {
  /** The value in base units (bytes for memory, cores for CPU); may be fractional (`500m`). */
  value: number;
  /** The text as written (numbers are rendered with String()). */
  text: string;
}

/** Parses a quantity given as a string or a JSON number; undefined when malformed. */
export function parseQuantity(input: unknown): Quantity | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? { value: input, text: String(input) } : undefined;
  if (typeof input !== 'string') return undefined;
  const m = QUANTITY.exec(input);
  if (!m) return undefined;
  const number = Number(m[1]);
  const suffix = m[2] ?? '';
  let factor = SUFFIX_FACTOR[suffix];
  if (factor === undefined) factor = 10 ** Number(suffix.slice(1));
  const value = number * factor;
  if (!Number.isFinite(value)) return undefined;
  // Round away float noise such as 1.1 * 1e6 = 1100000.0000000002.
  const rounded = Math.round(value);
  return { value: Math.abs(value - rounded) < 1e-6 * Math.max(1, Math.abs(value)) ? rounded : value, text: input };
}

/** Like Quantity.Value() in Kubernetes: the value rounded up to a whole base unit. */
export function quantityValue(q: Quantity): number {
  return Math.ceil(q.value);
}
