// DHCP relay agent information (option 82, RFC 3046): the circuit and remote IDs a relay adds
// to a client's requests, how a host selector's text names them, and what the server remembers
// of them per MAC so the boot script (asked for over HTTP, without option 82) can select by them.
import { normalizeMac } from '../lib/mac.ts';

/** Sub-options 1 (circuit ID) and 2 (remote ID) of option 82. */
export interface RelayIds {
  circuitId?: Uint8Array;
  remoteId?: Uint8Array;
}

/** Reads sub-options 1 and 2 from option 82's value; a truncated sub-option ends the walk. */
export function parseRelayAgentInfo(value: Uint8Array): RelayIds {
  const out: RelayIds = {};
  for (let i = 0; i + 2 <= value.length; ) {
    const code = value[i] as number;
    const len = value[i + 1] as number;
    if (i + 2 + len > value.length) break;
    const data = value.subarray(i + 2, i + 2 + len);
    if (code === 1 && out.circuitId === undefined) out.circuitId = Uint8Array.from(data);
    if (code === 2 && out.remoteId === undefined) out.remoteId = Uint8Array.from(data);
    i += 2 + len;
  }
  return out;
}

const HEX = /^(?:0x([0-9a-fA-F]{2})+|[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2})*)$/;
const PRINTABLE = /^[\x20-\x7e]+$/;

/** True when the selector's text names these bytes: the same text, or hex (`0x0a0b`, `0a:0b`). */
export function relayIdMatches(want: string, got: Uint8Array | undefined): boolean {
  if (got === undefined) return false;
  const bytes = Buffer.from(got);
  if (bytes.toString('latin1') === want) return true;
  if (!HEX.test(want)) return false;
  const hex = want.startsWith('0x') ? want.slice(2) : want.replaceAll(':', '');
  return hex.toLowerCase() === bytes.toString('hex');
}

/** Text for logs and the timeline: printable ASCII as is, else colon hex. */
export function formatRelayId(bytes: Uint8Array): string {
  const b = Buffer.from(bytes);
  const text = b.toString('latin1');
  return PRINTABLE.test(text) ? text : [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** The relay IDs last seen per MAC, bounded (oldest forgotten first). */
export class RelayMemory {
  readonly #byMac = new Map<string, RelayIds>();
  constructor(readonly capacity = 4096) {}

  /** Remembers (or, with no IDs, forgets) what the last relayed request of `mac` carried. */
  record(mac: string, ids: RelayIds): void {
    const m = normalizeMac(mac) ?? mac;
    this.#byMac.delete(m);
    if (ids.circuitId === undefined && ids.remoteId === undefined) return;
    this.#byMac.set(m, ids);
    if (this.#byMac.size > this.capacity) this.#byMac.delete(this.#byMac.keys().next().value as string);
  }

  get(mac: string): RelayIds | undefined {
    return this.#byMac.get(normalizeMac(mac) ?? mac);
  }

  get size(): number {
    return this.#byMac.size;
  }
}
