// The MAC pool's allocator, pure (kubemacpool's behaviour): a range of unicast, locally
// administered MACs; the first allocation starts at a random offset, each next one at the
// MAC after the cursor (the last one handed out), skipping those in use and wrapping at the
// end. Because the cursor only moves forward, a MAC just freed is not handed out again until
// the whole range has been gone through. MACs are 48-bit integers here (exact in a double).
import { normalizeMac } from '../lib/mac.ts';

/** The default range, kubemacpool's: every MAC whose first octet is 02. */
export const DEFAULT_MAC_RANGE = '02:00:00:00:00:00-02:ff:ff:ff:ff:ff';

/** The in-pod bridge's MAC under masquerade (KubeVirt's k6t-eth0); never handed out. */
export const MASQUERADE_BRIDGE_MAC = '02:00:00:00:00:00';

const OCTET = 2 ** 40;
const RESERVED = 0x02_00_00_00_00_00;

/** An inclusive range of MACs as 48-bit integers. */
export interface MacRange {
  first: number;
  last: number;
}

/** A range setting that cannot be used; names the setting, what it should be and what it was. */
export class MacRangeError extends Error {
  readonly field: string;
  readonly expected: string;
  readonly found: string;
  constructor(field: string, expected: string, found: string) {
    super(`${field}: expected ${expected}, found ${JSON.stringify(found)}`);
    this.name = 'MacRangeError';
    this.field = field;
    this.expected = expected;
    this.found = found;
  }
}

/** Every usable MAC of the range is in use. */
export class MacPoolExhaustedError extends Error {
  readonly range: string;
  readonly usable: number;
  readonly inUse: number;
  constructor(range: MacRange, usable: number, inUse: number) {
    super(`the MAC pool ${formatMacRange(range)} is exhausted: expected a free MAC, found all ${usable} usable MACs in use (${inUse} in the range)`);
    this.name = 'MacPoolExhaustedError';
    this.range = formatMacRange(range);
    this.usable = usable;
    this.inUse = inUse;
  }
}

/** A canonical MAC as an integer; undefined when not a MAC. */
export function macToNumber(mac: string): number | undefined {
  const m = normalizeMac(mac);
  return m === undefined ? undefined : parseInt(m.replaceAll(':', ''), 16);
}

/** An integer as a canonical MAC (`02:00:00:00:00:0a`). */
export function numberToMac(n: number): string {
  return (n.toString(16).padStart(12, '0').match(/../g) ?? []).join(':');
}

/** `FIRST-LAST` in canonical form. */
export const formatMacRange = (range: MacRange): string => `${numberToMac(range.first)}-${numberToMac(range.last)}`;

// A first octet is usable when its multicast bit (0x01) is clear and its local bit (0x02) set.
const usableOctet = (octet: number): boolean => (octet & 0x03) === 0x02;
const octetOf = (n: number): number => Math.floor(n / OCTET);

/** Whether the pool may hand out this MAC: unicast, locally administered, not the masquerade bridge's. */
export function usableMac(n: number): boolean {
  return usableOctet(octetOf(n)) && n !== RESERVED;
}

/** How many MACs of the range the pool may hand out. */
export function usableCount(range: MacRange): number {
  let count = 0;
  for (let octet = octetOf(range.first); octet <= octetOf(range.last); octet++) {
    if (!usableOctet(octet)) continue;
    const lo = Math.max(range.first, octet * OCTET);
    const hi = Math.min(range.last, octet * OCTET + OCTET - 1);
    count += hi - lo + 1;
    if (lo <= RESERVED && RESERVED <= hi) count--;
  }
  return count;
}

const RANGE_FORM = 'FIRST-LAST, two MAC addresses such as 02:00:00:00:00:00-02:ff:ff:ff:ff:ff';

/** Checks a range given as two MACs; throws MacRangeError naming `field`. */
export function macRange(first: string, last: string, field = 'macRange'): MacRange {
  const ends: Array<[string, string]> = [
    ['first', first],
    ['last', last],
  ];
  const values: number[] = [];
  for (const [which, text] of ends) {
    const n = macToNumber(text);
    if (n === undefined) throw new MacRangeError(field, `${RANGE_FORM} (the ${which} is not a MAC address)`, `${first}-${last}`);
    if (octetOf(n) & 0x01) throw new MacRangeError(field, `a unicast ${which} MAC (first octet even, e.g. 02)`, text);
    if (!(octetOf(n) & 0x02)) throw new MacRangeError(field, `a locally administered ${which} MAC (first octet with bit 0x02 set, e.g. 02, 06, 0a)`, text);
    values.push(n);
  }
  const range = { first: values[0]!, last: values[1]! };
  if (range.first > range.last) throw new MacRangeError(field, 'the first MAC not above the last', `${first}-${last}`);
  if (usableCount(range) === 0) throw new MacRangeError(field, `a range holding at least one MAC besides ${MASQUERADE_BRIDGE_MAC} (the masquerade bridge's)`, `${first}-${last}`);
  return range;
}

/** Parses `FIRST-LAST` (MACs with `:` or `-`; `,` or `..` also separate the two); throws MacRangeError naming `field`. */
export function parseMacRange(text: string, field = 'macRange'): MacRange {
  const trimmed = text.trim();
  // The separator is the one place where both sides read as MACs (a `-` may also be inside them).
  for (const sep of ['..', ',', '-', '–', ' ']) {
    let at = trimmed.indexOf(sep);
    while (at >= 0) {
      const first = trimmed.slice(0, at).trim();
      const last = trimmed.slice(at + sep.length).trim();
      if (normalizeMac(first) && normalizeMac(last)) return macRange(first, last, field);
      at = trimmed.indexOf(sep, at + 1);
    }
  }
  throw new MacRangeError(field, RANGE_FORM, text);
}

/** The MACs in use as the allocator reads them (a Set is one; so is a view over an index). */
export interface MacsInUse {
  has(mac: string): boolean;
  /** How many MACs are in use, in the range or not (bounds the search; need not be exact, only not below). */
  readonly size: number;
}

export interface AllocateOptions {
  range: MacRange;
  /** Canonical MACs in use (outside the range too; those are ignored). */
  inUse: MacsInUse & Iterable<string>;
  /** The last MAC handed out (canonical); the search starts after it. Unset or outside the range: a random start. */
  cursor?: string | undefined;
  /** [0, 1), for the random start (default Math.random). */
  random?: () => number;
}

/** The next usable MAC at or after `n`, wrapping at the end of the range. */
function nextUsable(range: MacRange, n: number): number {
  let c = n > range.last || n < range.first ? range.first : n;
  // At most 256 octet jumps plus a wrap; usableCount > 0 guarantees an end.
  for (;;) {
    if (!usableOctet(octetOf(c))) c = (octetOf(c) + 1) * OCTET;
    else if (c === RESERVED) c += 1;
    else return c;
    if (c > range.last) c = range.first;
  }
}

/** How many usable MACs of the range are in `inUse` (only for the exhausted pool's message: O(n)). */
function countTaken(range: MacRange, inUse: Iterable<string>): number {
  let taken = 0;
  for (const mac of inUse) {
    const n = parseInt(mac.replaceAll(':', ''), 16);
    if (n >= range.first && n <= range.last && usableMac(n)) taken++;
  }
  return taken;
}

/**
 * Picks a free MAC; returns it and the new cursor (the same MAC). Throws MacPoolExhaustedError.
 * O(1) amortised: it looks at the MACs after the cursor until a free one, and the cursor then
 * moves past every MAC looked at, so each MAC in use is passed over once per turn of the range.
 */
export function allocateMac(options: AllocateOptions): { mac: string; cursor: string } {
  const { range, inUse } = options;
  const usable = usableCount(range);
  const cursor = options.cursor === undefined ? undefined : macToNumber(options.cursor);
  const start =
    cursor !== undefined && cursor >= range.first && cursor <= range.last
      ? cursor + 1
      : range.first + Math.floor((options.random ?? Math.random)() * (range.last - range.first + 1));
  let c = nextUsable(range, start);
  // Of any size + 1 usable MACs one is free; past `usable` every one was looked at.
  const bound = Math.min(usable, inUse.size + 1);
  for (let seen = 0; seen < bound; seen++) {
    const mac = numberToMac(c);
    if (!inUse.has(mac)) return { mac, cursor: mac };
    c = nextUsable(range, c + 1);
  }
  throw new MacPoolExhaustedError(range, usable, countTaken(range, inUse));
}

/** How far `to` is after `from` going forward through the range and wrapping (0 when equal). */
export function distanceInRange(range: MacRange, from: number, to: number): number {
  const size = range.last - range.first + 1;
  return (((to - from) % size) + size) % size;
}

/** The MAC `steps` after `n` going forward through the range and wrapping (usable or not). */
export function advanceInRange(range: MacRange, n: number, steps: number): number {
  const size = range.last - range.first + 1;
  return range.first + ((((n - range.first + steps) % size) + size) % size);
}
