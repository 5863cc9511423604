// MAC addresses: the one canonical text form (lower case, colons) used everywhere.

const MAC = /^([0-9a-fA-F]{2})([:-]?)([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/;

/** Normalises `DE-00-00-00-00-DE`, `de:00:…` or `de0000…` to `de:00:00:00:00:de`; undefined when not a MAC. */
export function normalizeMac(text: string): string | undefined {
  const m = MAC.exec(text.trim());
  if (!m) return undefined;
  return [m[1], m[3], m[4], m[5], m[6], m[7]].join(':').toLowerCase();
}

/** Formats 6 bytes as a canonical MAC. */
export function macFromBytes(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Parses a canonical or loose MAC into 6 bytes; throws on malformed input. */
export function macToBytes(text: string): Buffer {
  const mac = normalizeMac(text);
  if (!mac) throw new TypeError(`expected a MAC address like de:00:00:00:00:de, found ${JSON.stringify(text)}`);
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}
