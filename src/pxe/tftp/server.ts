// The TFTP server: the shell around the codec and the read-transfer state machine. One
// socket takes requests; each read gets its own socket (its TID) and runs its data phase in
// the native addon (native.ts, native/tftp_data.c) or, without it, in transfer-loop.ts (a
// read-ahead file view and a retransmission timer around transfer.ts). Files are only ever
// opened through openConfined(), here in JavaScript; tracking.ts keeps each transfer's books
// (its slot under the caps, /status progress, timeline and metrics).
import type { RemoteInfo, Socket } from 'node:dgram';
import type { Logger } from '../../lib/logger.ts';
import { FileRefusedError, openConfined, type FileRoots } from '../files.ts';
import type { FileHandle } from 'node:fs/promises';
import type { PxeMetrics } from '../metrics.ts';
import type { Timeline } from '../timeline.ts';
import type { Transfers } from '../transfers.ts';
import { memoryFile, trackTransfer, type Peer, type Slot, type Source } from './tracking.ts';
import { decode, encodeError, ERROR_CODES, TftpDecodeError, type TftpPacket } from './codec.ts';
import { DEFAULT_CAPS, TransferCaps, type CapStats, type TransferCapLimits } from './caps.ts';
import { DEFAULT_LIMITS, type TransferLimits } from './transfer.ts';
import { runTransferLoop } from './transfer-loop.ts';
import { nativeAddon, nativeAddresses, startNative, type NativeTransfer } from './native.ts';
import { bindSocket, blksizeForInterface, connectSocket, familyOf, interfaceOf } from './udp.ts';

export { blksizeForInterface } from './udp.ts';

export interface TftpServerOptions {
  roots: FileRoots;
  address: string;
  port: number;
  /** The interface served; its MTU bounds blksize. Found from `address` when not given. */
  interface?: string;
  /** Overrides the blksize bound derived from the MTU. */
  maxBlksize?: number;
  log: Logger;
  timeline: Timeline;
  metrics: PxeMetrics;
  transfers: Transfers;
  /** Overrides of the transfer limits (retries, default timeout, window, timeout clamp). */
  limits?: Partial<Omit<TransferLimits, 'maxBlksize'>>;
  /** Content generated for a name not found under the roots (the signed chain's GRUB config), or undefined. */
  generated?: (file: string, clientIp: string) => Buffer | undefined;
  /** Transfers allowed at once per client address and overall (default DEFAULT_CAPS). */
  caps?: TransferCapLimits;
  /**
   * Where a transfer's data phase runs: 'native' (the C addon, build/native/tftp_data.node, the
   * default when it is built) or 'js' (transfer-loop.ts, the fallback). 'native' without the
   * addon is an error.
   */
  dataPath?: 'native' | 'js';
  now?: () => number;
}

export interface TftpServer {
  port: number;
  /** Transfers running, the caps and how many requests they refused (for /status). */
  stats(): CapStats;
  close(): Promise<void>;
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** How often native transfers' progress is read for /status (they do not report per ACK). */
const PROGRESS_MS = 250;

/** Starts the TFTP server (read-only) on address:port; port 0 picks a free one. */
export async function startTftp(options: TftpServerOptions): Promise<TftpServer> {
  const { log, timeline, metrics, transfers, roots } = options;
  const now = options.now ?? Date.now;
  const ifname = options.interface ?? interfaceOf(options.address);
  const maxBlksize = options.maxBlksize ?? (ifname === undefined ? undefined : await blksizeForInterface(ifname, familyOf(options.address))) ?? DEFAULT_LIMITS.maxBlksize;
  const limits: TransferLimits = { ...DEFAULT_LIMITS, ...options.limits, maxBlksize };
  /** Transfers by client ip:port; `evict` is absent while the file is being opened. */
  const active = new Map<string, Slot>();
  const caps = new TransferCaps(options.caps ?? DEFAULT_CAPS);
  const main = await bindSocket(options.address, options.port);
  const port = main.address().port;
  let closed = false;
  const addon = options.dataPath === 'js' ? undefined : nativeAddon();
  if (options.dataPath === 'native' && !addon) throw new Error('TFTP dataPath: expected the native addon at build/native/tftp_data.node (run `make native`), found none');
  /** Native transfers report progress when asked: /status sees it within PROGRESS_MS. */
  let poller: NodeJS.Timeout | undefined;
  const syncing = new Set<Slot>();
  const malformed = (err: unknown, peer: Peer, where: string) => {
    metrics.errors.inc({ proto: 'tftp', kind: 'malformed' });
    log.warn({ ip: peer.address, port: peer.port, where, err: describe(err) }, 'malformed TFTP packet');
  };

  /** Sends one packet from a fresh TID and closes it: refusals before a transfer exists. */
  const replyOnce = async (peer: Peer, packet: Buffer) => {
    const socket = await bindSocket(options.address, 0);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.send(packet, peer.port, peer.address, () => resolve()));
    socket.close();
  };

  const refuse = async (peer: Peer, file: string, code: number, message: string, kind: 'refused' | 'malformed') => {
    metrics.tftpTransfers.inc({ result: 'refused' });
    if (kind === 'refused') metrics.errors.inc({ proto: 'tftp', kind });
    timeline.record({ proto: 'tftp', event: 'refused', ip: peer.address, file, code, reason: message });
    await replyOnce(peer, encodeError(code, message));
  };

  const serveRead = async (peer: Peer, request: Extract<TftpPacket, { op: 'rrq' | 'wrq' }>) => {
    // GRUB (the signed chain) asks for `/name`: the root is where every relative name starts.
    const file = request.filename.replace(/^\/+/, '');
    timeline.record({ proto: 'tftp', event: 'rrq', ip: peer.address, file, mode: request.mode, options: Object.fromEntries(request.options) });
    if (request.mode === 'mail') return refuse(peer, file, ERROR_CODES.illegalOperation, 'mode "mail" is only for writes; expected octet or netascii', 'refused');
    let opened: Source;
    try {
      opened = await openConfined(roots, file);
    } catch (err) {
      if (!(err instanceof FileRefusedError)) throw err;
      const content = err.code === 'not-found' ? options.generated?.(file, peer.address) : undefined;
      if (content === undefined) return refuseOpen(peer, file, err);
      opened = memoryFile(content);
    }
    return openedTransfer(peer, file, request, opened);
  };

  const refuseOpen = (peer: Peer, file: string, err: FileRefusedError) => {
    const code = err.code === 'denied' ? ERROR_CODES.accessViolation : ERROR_CODES.fileNotFound;
    return refuse(peer, file, code, code === ERROR_CODES.accessViolation ? `access violation: ${err.message}` : `file not found: ${err.message}`, 'refused');
  };

  const openedTransfer = async (peer: Peer, file: string, request: Extract<TftpPacket, { op: 'rrq' | 'wrq' }>, opened: Source) => {
    if (addon && nativeAddresses(options.address, peer.address)) return nativeTransfer(peer, file, request, opened);
    let socket: Socket | undefined;
    try {
      socket = await bindSocket(options.address, 0);
      // Connected to the client: the kernel keeps the route (a send costs ~20 % less), drops
      // packets from other ports (RFC 1350's wrong TID) and reports the client's port
      // unreachable, which ends an abandoned transfer at once.
      await connectSocket(socket, peer);
      // Closed while the file was being opened: nothing may start now.
      if (closed) throw new Error('TFTP server closed while the request was being opened');
    } catch (err) {
      socket?.close();
      await opened.handle.close().catch(() => undefined);
      throw err;
    }
    // From here the transfer's end() owns the socket and the descriptor, on every path.
    const record = track(peer, file, opened);
    const { hooks } = record;
    const loop = runTransferLoop({
      socket,
      file: opened.handle,
      size: opened.size,
      requested: request.options,
      limits,
      now,
      events: {
        oack: (accepted, state) => hooks.oack(accepted, state.blksize, state.windowsize),
        progress: hooks.progress,
        finished: (outcome, state) => hooks.finished(outcome, state.blksize, state.windowsize),
        ended: hooks.ended,
        malformed: (err) => hooks.malformed(err.message),
        warn: hooks.warn,
      },
    });
    record.control = { end: (error) => loop.end(error === undefined ? undefined : encodeError(ERROR_CODES.notDefined, error)) };
  };

  /** The data phase in the addon: no JavaScript per packet; progress is read when needed. */
  const nativeTransfer = (peer: Peer, file: string, request: Extract<TftpPacket, { op: 'rrq' | 'wrq' }>, opened: Source) => {
    if (closed) {
      void opened.handle.close().catch(() => undefined);
      throw new Error('TFTP server closed while the request was being opened');
    }
    // From here the transfer's `ended` owns the descriptor, on every path.
    const record = track(peer, file, opened);
    const { hooks, slot } = record;
    let running: NativeTransfer;
    try {
      running = startNative({
        addon: addon!,
        local: options.address,
        peer,
        ...(opened.content ? { content: opened.content } : {}),
        fd: (opened.handle as Partial<FileHandle>).fd ?? -1,
        size: opened.size,
        requested: request.options,
        limits,
        hooks: {
          ...hooks,
          ended: (sent) => {
            syncing.delete(slot);
            if (syncing.size === 0) {
              clearInterval(poller);
              poller = undefined;
            }
            hooks.ended(sent);
          },
          malformed: (message, count) => {
            metrics.errors.inc({ proto: 'tftp', kind: 'malformed' }, count);
            log.warn({ ip: peer.address, port: peer.port, where: 'transfer', err: message }, 'malformed TFTP packet');
          },
          retransmits: (count, ms) => log.debug({ ip: peer.address, file, retransmits: count, ms }, 'TFTP transfer retransmitted'),
        },
      });
    } catch (err) {
      hooks.ended(0); // no socket: give the slot and the descriptor back
      throw err;
    }
    record.control = { end: (error) => running.end(error) };
    slot.sync = () => {
      const { bytes, silentMs } = running.progress();
      hooks.progress(bytes, now() - silentMs);
    };
    syncing.add(slot);
    poller ??= setInterval(() => {
      for (const each of syncing) each.sync?.();
    }, PROGRESS_MS).unref();
  };

  const track = (peer: Peer, file: string, opened: Source) => trackTransfer({ now, log, timeline, metrics, transfers, caps, active, malformed }, peer, file, opened);

  const onRequest = async (msg: Buffer, peer: Peer) => {
    let packet: TftpPacket;
    try {
      packet = decode(msg);
    } catch (err) {
      if (!(err instanceof TftpDecodeError)) throw err;
      malformed(err, peer, 'request');
      // Tell a client it sent a broken request, but never answer what may be an ERROR (no ping-pong).
      if (msg.length >= 2 && (msg.readUInt16BE(0) === 1 || msg.readUInt16BE(0) === 2)) await replyOnce(peer, encodeError(ERROR_CODES.illegalOperation, err.message));
      return;
    }
    if (packet.op === 'wrq') {
      return refuse(peer, packet.filename, ERROR_CODES.accessViolation, 'access violation: this server is read-only; write requests (WRQ) are refused', 'refused');
    }
    if (packet.op !== 'rrq') {
      log.debug({ ip: peer.address, port: peer.port, op: packet.op }, 'packet for no transfer on the request port; ignored');
      return;
    }
    const key = `${peer.address}:${peer.port}`;
    if (active.has(key)) return; // a retransmitted request: the transfer answers it
    // At the overall cap, the transfer silent the longest (spoofed or abandoned ones never
    // acknowledge) makes room: a live client keeps its transfer under a request flood.
    const admission = caps.admit(peer.address, evictSilentest);
    if (!admission.ok) return refuseBusy(peer, packet.filename, admission);
    const placeholder: Slot = { end: () => undefined, heard: now() };
    active.set(key, placeholder);
    try {
      await serveRead(peer, packet);
    } finally {
      // No transfer started (refused, or failed before it registered): give the slot back.
      if (active.get(key) === placeholder) {
        active.delete(key);
        caps.release(peer.address);
      }
    }
  };

  /** Ends the running transfer whose client was heard from the longest ago; false when none can be. */
  const evictSilentest = (): boolean => {
    let victim: Slot | undefined;
    for (const slot of active.values()) slot.sync?.();
    for (const slot of active.values()) if (slot.evict && (!victim || slot.heard < victim.heard)) victim = slot;
    if (!victim?.evict) return false;
    victim.evict();
    return true;
  };

  /** Past a cap: an ERROR from the request socket (no new socket per refused packet under a flood). */
  const refuseBusy = (peer: Peer, file: string, refused: Extract<ReturnType<TransferCaps['admit']>, { ok: false }>) => {
    const message =
      refused.cap === 'overall'
        ? `server busy: ${refused.limit} transfers running, the most it allows; retry later`
        : `server busy: ${refused.limit} transfers running for ${peer.address}, the most one client may have; retry later`;
    metrics.tftpTransfers.inc({ result: 'refused' });
    metrics.errors.inc({ proto: 'tftp', kind: 'busy' });
    timeline.record({ proto: 'tftp', event: 'refused', ip: peer.address, file, code: ERROR_CODES.notDefined, reason: message });
    main.send(encodeError(ERROR_CODES.notDefined, message), peer.port, peer.address);
  };

  main.on('error', (err) => log.error({ err: describe(err) }, 'TFTP request socket error'));
  main.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    if (closed) return;
    const peer = { address: rinfo.address, port: rinfo.port };
    onRequest(msg, peer).catch((err: unknown) => {
      metrics.errors.inc({ proto: 'tftp', kind: 'io' });
      log.error({ ip: peer.address, err: describe(err) }, 'TFTP request failed');
    });
  });
  log.info({ address: options.address, port, maxBlksize, interface: ifname, dataPath: addon ? 'native' : 'js' }, 'TFTP listening');

  return {
    port,
    stats: () => caps.stats(),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const slot of [...active.values()]) slot.end();
      await new Promise<void>((resolve) => main.close(() => resolve()));
    },
  };
}
