// Explains the quiet stretches in one host's boot timeline: where more than a second passes
// between two events, what the client was most likely doing, judged only from what the server
// saw (pure; the timeline's events in, gaps out).

export interface GapEvent {
  time: string;
  proto: string;
  event: string;
  file?: unknown;
  ipxe?: unknown;
  type?: unknown;
  selection?: unknown;
  reason?: unknown;
  [field: string]: unknown;
}

export type GapCause =
  | 'ipv6-router-discovery'
  | 'dhcp-retry'
  | 'proxy-dhcp-wait'
  | 'tftp-retransmits'
  | 'slow-http-read'
  | 'menu'
  | 'firmware'
  | 'booting-image'
  | 'secure-boot-refused'
  | 'unknown';

export interface Gap {
  /** Start and end of the quiet stretch (the two events' times). */
  from: string;
  to: string;
  seconds: number;
  /** `proto event` before and after. */
  after: string;
  before: string;
  cause: GapCause;
  /** In words, for status, describe and the web UI. */
  likely: string;
}

const same = (a: GapEvent, b: GapEvent, proto: string, event: string) => a.proto === proto && b.proto === proto && a.event === event && b.event === event;
const isDownload = (e: GapEvent) => (e.proto === 'http' && e.event === 'get') || (e.proto === 'tftp' && (e.event === 'rrq' || e.event === 'oack'));

/** The iPXE binaries served from `ipxe/` are unsigned (Debian's are): Secure Boot firmware refuses them. */
export function isUnsignedNbp(e: GapEvent): boolean {
  return e.event === 'done' && (e.proto === 'tftp' || e.proto === 'http') && typeof e.file === 'string' && /(^|\/)ipxe\/[^/]+\.efi$/.test(e.file);
}

/** What the timeline says when firmware fetched the unsigned iPXE and it never ran. */
export function secureBootRefusal(file: string, then: string): string {
  return `the firmware downloaded ${file}, which is unsigned, and ${then}: likely refused by Secure Boot (boot this host's image through the signed chain: images[].secureBoot: true)`;
}

/** Why the client was quiet between `a` and `b`; `seen` is everything up to and including `a`. */
function explain(a: GapEvent, b: GapEvent, seen: readonly GapEvent[]): [GapCause, string] {
  const file = typeof b.file === 'string' ? b.file : typeof a.file === 'string' ? a.file : 'a file';
  // iPXE that runs asks DHCP as iPXE; firmware asking again means the binary never ran.
  if (isUnsignedNbp(a) && b.proto === 'dhcp' && b.ipxe !== true && b.event !== 'dropped') {
    return ['secure-boot-refused', secureBootRefusal(String(a.file), 'then it asked DHCP again as firmware instead of running it')];
  }
  if (a.proto === 'http' && a.event === 'get' && b.proto === 'http' && (b.event === 'done' || b.event === 'error') && a.file === b.file) {
    return ['slow-http-read', `a slow HTTP read: ${file} was still being read by the client`];
  }
  if (a.proto === 'tftp' && (a.event === 'rrq' || a.event === 'oack') && b.proto === 'tftp' && (b.event === 'done' || b.event === 'error')) {
    return ['tftp-retransmits', b.reason === 'timeout' ? `TFTP retransmits: ${file} timed out waiting for the client's ACKs` : `TFTP retransmits or a slow client: ${file} took this long in lock-step blocks`];
  }
  if (same(a, b, 'dhcp', 'discover') || same(a, b, 'dhcp', 'request') || (a.proto === 'dhcp' && a.event === 'offer' && b.proto === 'dhcp' && b.event === 'discover')) {
    return ['dhcp-retry', 'retrying DHCP: the client sent its request again (no answer reached it, or it ignored the one it got)'];
  }
  if (a.proto === 'dhcp' && a.event === 'offer' && b.proto === 'dhcp' && b.event === 'request') {
    return ['proxy-dhcp-wait', 'waiting for more DHCP offers (a PXE client waits for ProxyDHCP offers before it requests)'];
  }
  const ipxe = seen.some((e) => e.proto === 'dhcp' && e.ipxe === true);
  const afterAck = a.proto === 'dhcp' && a.event === 'ack';
  const afterNdp = a.proto === 'ndp';
  if ((afterAck || afterNdp) && ipxe && (b.proto === 'http' || b.proto === 'tftp' || b.proto === 'ndp')) {
    const answered = seen.some((e) => e.proto === 'ndp' && e.event === 'ra');
    const leftToRouter = seen.some((e) => e.proto === 'ndp' && e.event === 'rs-left-to-router');
    if (!answered) {
      return [
        'ipv6-router-discovery',
        leftToRouter
          ? 'waiting for IPv6 routers: iPXE configures IPv6 too, and the router on this segment answered its solicitations late'
          : 'waiting for IPv6 routers: iPXE configures IPv6 too, and nothing answered its router solicitations (the answer is off, or the RS did not reach this server)',
      ];
    }
  }
  if (a.proto === 'http' && a.event === 'script' && a.selection === 'menu') return ['menu', 'showing the boot menu until its timeout or a choice'];
  if (afterAck && !ipxe && b.proto === 'tftp') return ['firmware', 'the firmware between its DHCP ACK and its TFTP request (ARP, PXE prompt)'];
  const downloads = seen.filter(isDownload);
  if (downloads.length > 0 && (a.event === 'done' || a.proto === 'http') && b.proto === 'dhcp') {
    return ['booting-image', 'booting the downloaded image (kernel and initrd start, then the OS asks DHCP itself)'];
  }
  return ['unknown', 'no traffic from the client reached the server (busy in firmware or in the booted OS)'];
}

/** After the unsigned iPXE, this long without a word means it did not run (iPXE asks DHCP within seconds). */
export const REFUSED_SILENCE_MS = 15_000;

/**
 * The gaps over `minMs` (default one second) in one host's events, oldest first. With `now`, a
 * host whose last event is the download of the unsigned iPXE and that stayed silent since gets
 * an open gap saying Secure Boot likely refused it.
 */
export function explainGaps(events: readonly GapEvent[], minMs = 1000, now?: number): Gap[] {
  const gaps: Gap[] = [];
  for (let i = 1; i < events.length; i++) {
    const a = events[i - 1] as GapEvent;
    const b = events[i] as GapEvent;
    const ms = Date.parse(b.time) - Date.parse(a.time);
    if (!(ms > minMs)) continue;
    const [cause, likely] = explain(a, b, events.slice(0, i));
    gaps.push({ from: a.time, to: b.time, seconds: Math.round(ms / 100) / 10, after: `${a.proto} ${a.event}`, before: `${b.proto} ${b.event}`, cause, likely });
  }
  const last = events.at(-1);
  if (now !== undefined && last && isUnsignedNbp(last) && now - Date.parse(last.time) > REFUSED_SILENCE_MS) {
    const ms = now - Date.parse(last.time);
    const to = new Date(now).toISOString();
    gaps.push({ from: last.time, to, seconds: Math.round(ms / 100) / 10, after: `${last.proto} ${last.event}`, before: 'now', cause: 'secure-boot-refused', likely: secureBootRefusal(String(last.file), 'nothing has been heard from it since') });
  }
  return gaps;
}

/** Gaps for every host of a timeline snapshot. */
export function gapsByMac(timelines: Record<string, readonly GapEvent[]>, minMs = 1000, now?: number): Record<string, Gap[]> {
  const out: Record<string, Gap[]> = {};
  for (const [mac, list] of Object.entries(timelines)) {
    const gaps = explainGaps(list, minMs, now);
    if (gaps.length) out[mac] = gaps;
  }
  return out;
}
