// What part of a file a GET answers, from its Range header (RFC 9110 §14): one range →
// 206, several → the whole file (allowed, and simpler for boot clients), none → 416.
import parseRange from 'range-parser';

/** The answer to a request for a file of `size` bytes. */
export type RangePlan =
  | { status: 200; start: number; end: number; length: number }
  | { status: 206; start: number; end: number; length: number; contentRange: string }
  | { status: 416; contentRange: string };

/** Plans a response from the Range header (undefined when absent); `end` is inclusive. */
export function planRange(size: number, header: string | undefined): RangePlan {
  const whole = { status: 200 as const, start: 0, end: size - 1, length: size };
  if (header === undefined || header.trim() === '') return whole;
  const ranges = parseRange(size, header, { combine: true });
  // -2: malformed, which RFC 9110 says to ignore; a unit other than bytes likewise.
  if (ranges === -2) return whole;
  if (ranges === -1) return { status: 416, contentRange: `bytes */${size}` };
  if (ranges.type !== 'bytes' || ranges.length !== 1) return whole;
  const [range] = ranges;
  if (!range) return whole;
  return { status: 206, start: range.start, end: range.end, length: range.end - range.start + 1, contentRange: `bytes ${range.start}-${range.end}/${size}` };
}
