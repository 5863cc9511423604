// Answers IPv6 router solicitations on the PXE interface with an empty advertisement, so that
// iPXE's IPv6 configurator finishes at once instead of retrying for ~16 s (see packets.ts for
// why the answer changes nothing on the guests). Raw ICMPv6 socket through the `raw-socket`
// addon (Node has none of its own); see docs/decisions.md ("Answering router solicitations").
import { createRequire } from 'node:module';
import type { Logger } from '../../lib/logger.ts';
import type { Timeline } from '../timeline.ts';
import { advertisementFlags, emptyRouterAdvertisement, ICMP6_ROUTER_ADVERTISEMENT, ICMP6_ROUTER_SOLICITATION, parseNdp } from './packets.ts';
import { RouterSolicitationAnswerer } from './answerer.ts';

interface RawSocket {
  on(event: 'message', fn: (buf: Buffer, source: string) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  setOption(level: number, option: number, value: Buffer | number, length?: number): void;
  send(buf: Buffer, offset: number, length: number, address: string, after: (err: Error | null) => void): void;
  close(): void;
}
interface RawModule {
  createSocket(options: { addressFamily: number; protocol: number; bufferSize?: number }): RawSocket;
  AddressFamily: { IPv6: number };
  Protocol: { ICMPv6: number };
}

const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IPV6 = 41;
const IPV6_MULTICAST_HOPS = 18;
const IPV6_MULTICAST_LOOP = 19;
const IPV6_ADD_MEMBERSHIP = 20;
const IPPROTO_ICMPV6 = 58;
const ICMP6_FILTER = 1;
const ALL_NODES = 'ff02::1';
/** ff02::2, all-routers: solicitations go there; we join it on the interface only. */
const ALL_ROUTERS = Buffer.from('ff020000000000000000000000000002', 'hex');

/** Which ICMPv6 types the kernel passes up: RS and RA only (bit set = blocked, RFC 3542 §3.2). */
function icmp6Filter(): Buffer {
  const filter = Buffer.alloc(32, 0xff);
  for (const type of [ICMP6_ROUTER_SOLICITATION, ICMP6_ROUTER_ADVERTISEMENT]) {
    const word = type >> 5;
    filter.writeUInt32LE((filter.readUInt32LE(word * 4) & ~(1 << (type & 31))) >>> 0, word * 4);
  }
  return filter;
}

export interface RouterAnswerOptions {
  interface: string;
  ifindex: number;
  mac: string;
  /** What to answer with (default: the empty advertisement, router lifetime 0, no flags, no prefix). */
  advertisement?: Buffer;
  /** Our own link-local addresses: their advertisements are ours, not another router's. */
  ownAddresses: readonly string[];
  log: Logger;
  timeline: Timeline;
  now?: () => number;
}

export interface RouterAnswerServer {
  close(): Promise<void>;
}

/** Opens the raw socket on the interface and starts answering. */
export function startRouterAnswer(options: RouterAnswerOptions): RouterAnswerServer {
  const { log, timeline } = options;
  const raw = createRequire(import.meta.url)('raw-socket') as RawModule;
  const socket = raw.createSocket({ addressFamily: raw.AddressFamily.IPv6, protocol: raw.Protocol.ICMPv6, bufferSize: 1500 });
  socket.setOption(SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${options.interface}\0`), options.interface.length + 1);
  const filter = icmp6Filter();
  socket.setOption(IPPROTO_ICMPV6, ICMP6_FILTER, filter, filter.length);
  const mreq = Buffer.alloc(20);
  ALL_ROUTERS.copy(mreq, 0);
  mreq.writeInt32LE(options.ifindex, 16);
  socket.setOption(IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq, mreq.length);
  const int = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return b;
  };
  socket.setOption(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, int(255), 4); // RFC 4861: hop limit 255
  socket.setOption(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, int(0), 4);
  const advert = options.advertisement ?? emptyRouterAdvertisement(options.mac);
  const flags = advertisementFlags(advert);
  const own = new Set(options.ownAddresses.map((a) => a.toLowerCase()));
  let warned = false;

  const answerer = new RouterSolicitationAnswerer({
    now: options.now ?? Date.now,
    setTimer: (fn, ms) => {
      const t = setTimeout(fn, ms);
      return { cancel: () => clearTimeout(t) };
    },
    answer: (who) => {
      socket.send(advert, 0, advert.length, ALL_NODES, (err) => {
        if (err) {
          if (!warned) log.warn({ err: err.message, ...who, interface: options.interface }, `router advertisement not sent (does ${options.interface} have an IPv6 link-local address?); further failures are logged at debug level`);
          else log.debug({ err: err.message, ...who }, 'router advertisement not sent');
          warned = true;
        }
        else timeline.record({ proto: 'ndp', event: 'ra', ...who, routerLifetime: 0, ...(flags.managed ? { managed: true } : {}), ...(flags.other ? { other: true } : {}) });
      });
    },
    note: (what, who) => {
      if (what === 'other-router') log.info({ ...who }, `another router answers on ${options.interface}: not answering router solicitations while it does`);
      else timeline.record({ proto: 'ndp', event: 'rs-left-to-router', ...who });
    },
  });
  socket.on('message', (buf, source) => {
    const msg = parseNdp(buf);
    if (!msg) return;
    if (msg.type === ICMP6_ROUTER_SOLICITATION) {
      // Not a timeline event: an unanswered Linux client solicits forever (with backoff), and
      // each would change the status; the answer ('ra') or 'rs-left-to-router' is recorded.
      log.debug({ mac: msg.mac, source }, 'router solicitation');
      answerer.onSolicitation(source, msg.mac);
    } else if (!own.has(source.toLowerCase().split('%')[0] ?? '')) {
      answerer.onOtherAdvertisement(source, msg.mac);
    }
  });
  socket.on('error', (err) => log.warn({ err: err.message }, 'router solicitation socket error'));
  log.info({ interface: options.interface, ...flags, bytes: advert.length }, `answering IPv6 router solicitations (router lifetime 0${advert.length > 24 ? ', on-link prefix' : ', no prefix'})`);
  return {
    close: async () => {
      answerer.close();
      socket.close();
    },
  };
}
