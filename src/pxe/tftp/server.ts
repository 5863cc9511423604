// The TFTP server: the shell around the codec and the read-transfer state machine. One
// socket takes requests; each read gets its own socket (its TID), a read-ahead file view
// and a retransmission timer. Files are only ever opened through openConfined().
import type { RemoteInfo, Socket } from 'node:dgram';
import type { Logger } from '../../lib/logger.ts';
import { FileRefusedError, openConfined, type FileRoots, type OpenedFile } from '../files.ts';
import type { FileHandle } from 'node:fs/promises';

/** A file to send: one opened under the roots, or content generated for this client. */
type Source = Pick<OpenedFile, 'size'> & { handle: Pick<FileHandle, 'read' | 'close'> };

/** Content as a file handle (generated answers such as the signed chain's GRUB config). */
function memoryFile(content: Buffer): Source {
  return {
    size: content.length,
    handle: {
      read: async (buffer: Buffer, offset: number, length: number, position: number) => ({ bytesRead: content.copy(buffer, offset, position, position + length), buffer }),
      close: async () => undefined,
    } as unknown as Pick<FileHandle, 'read' | 'close'>,
  };
}
import type { PxeMetrics } from '../metrics.ts';
import type { Timeline } from '../timeline.ts';
import type { Transfers, TransferHandle } from '../transfers.ts';
import { decode, encodeError, ERROR_CODES, TftpDecodeError, type TftpPacket } from './codec.ts';
import { DEFAULT_CAPS, TransferCaps, type CapStats, type TransferCapLimits } from './caps.ts';
import { ReadAhead } from './read-ahead.ts';
import { bytesAcked, createReadTransfer, DEFAULT_LIMITS, step, type ReadState, type StepResult, type TransferLimits } from './transfer.ts';
import { bindSocket, blksizeForInterface, connectSocket, enableGso, familyOf, GSO_MAX_BYTES, GSO_MAX_SEGMENTS, interfaceOf } from './udp.ts';

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
  now?: () => number;
}

export interface TftpServer {
  port: number;
  /** Transfers running, the caps and how many requests they refused (for /status). */
  stats(): CapStats;
  close(): Promise<void>;
}

interface Peer {
  address: string;
  port: number;
}

interface Slot {
  end(): void;
  /** When the client was last heard from (its request, then each ACK). */
  heard: number;
  evict?: () => void;
}

/**
 * Per transfer: 256 KiB reads, one chunk ahead (at most ~768 KiB held), so the overall cap
 * of transfers bounds the buffers too (128 × 768 KiB = 96 MiB at the very worst).
 */
const READ_AHEAD = { chunkBytes: 256 << 10, ahead: 1 };

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

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
    runTransfer(peer, file, opened, socket, request.options);
  };

  const runTransfer = (peer: Peer, file: string, opened: Source, socket: Socket, requested: Map<string, string>) => {
    const key = `${peer.address}:${peer.port}`;
    const started = now();
    const reader = new ReadAhead(opened.handle, opened.size, READ_AHEAD);
    const handle: TransferHandle = transfers.start({ proto: 'tftp', file, ip: peer.address, size: opened.size, ...macOf(peer.address) });
    let state: ReadState = createReadTransfer(opened.size, requested, limits);
    let finished = false;
    const timer = setTimeout(() => apply(step(state, { type: 'timeout' })), state.timeoutMs);
    timer.unref();

    let sent = 0; // file bytes sent, retransmissions included; counted once at the end
    /** Releases everything the transfer holds; `last` (an ERROR) leaves before the socket closes. */
    const end = (last?: Buffer) => {
      if (finished) return;
      finished = true;
      metrics.tftpBytes.inc(sent);
      clearTimeout(timer);
      active.delete(key);
      caps.release(peer.address);
      handle.end();
      reader.close();
      void opened.handle.close().catch(() => undefined);
      if (last) socket.send(last, () => socket.close());
      else socket.close();
    };
    const slot: Slot = {
      end,
      heard: now(),
      evict: () => {
        if (finished) return;
        const message = 'evicted: the server is at its transfer cap and this transfer had been silent the longest';
        metrics.tftpTransfers.inc({ result: 'error' });
        metrics.errors.inc({ proto: 'tftp', kind: 'busy' });
        timeline.record({ proto: 'tftp', event: 'error', ip: peer.address, file, reason: 'evicted', message, bytes: bytesAcked(state), ms: now() - started });
        end(encodeError(ERROR_CODES.notDefined, message));
      },
    };
    active.set(key, slot);

    // With GSO, consecutive full-size DATA packets (the last of a group may be short) go in one send.
    const segment = state.blksize + 4;
    const gso = state.windowsize > 1 && enableGso(socket, segment);
    const perSend = Math.min(GSO_MAX_SEGMENTS, Math.floor(GSO_MAX_BYTES / segment));
    const windowBytes = state.windowsize * segment;
    const sendAll = (packets: Buffer[]) => {
      if (!gso || packets.length < 2) {
        for (const packet of packets) socket.send(packet);
        return;
      }
      let group: Buffer[] = [];
      const flush = () => {
        const first = group[0];
        const last = group[group.length - 1];
        if (!first || !last) return;
        // Packets laid end to end in one buffer (as the state machine makes them) need no copy.
        const contiguous = group.every((p, i) => i === 0 || (p.buffer === first.buffer && p.byteOffset === group[i - 1]!.byteOffset + group[i - 1]!.length));
        const datagram = group.length === 1 ? first : contiguous ? Buffer.from(first.buffer, first.byteOffset, last.byteOffset + last.length - first.byteOffset) : Buffer.concat(group);
        socket.send(datagram);
        group = [];
      };
      for (const packet of packets) {
        if (packet.length > segment) {
          flush();
          socket.send(packet);
          continue;
        }
        group.push(packet);
        if (packet.length < segment || group.length === perSend) flush();
      }
      flush();
    };

    function apply(result: StepResult): void {
      if (finished) return;
      state = result.state;
      if (result.done) {
        // The last packets (an ERROR) must leave before the socket closes.
        const last = result.send.pop();
        sendAll(result.send);
        const fields = { ip: peer.address, file, size: opened.size, blksize: state.blksize, windowsize: state.windowsize, bytes: result.done.bytes, ms: now() - started };
        if (result.done.ok) {
          metrics.tftpTransfers.inc({ result: 'ok' });
          timeline.record({ proto: 'tftp', event: 'done', ...fields });
        } else {
          metrics.tftpTransfers.inc({ result: 'error' });
          metrics.errors.inc({ proto: 'tftp', kind: result.done.reason === 'timeout' ? 'timeout' : result.done.reason === 'local-error' ? 'io' : 'refused' });
          timeline.record({ proto: 'tftp', event: 'error', ...fields, reason: result.done.reason, message: result.done.message });
        }
        end(last);
        return;
      }
      if (result.send.length > 0) {
        sendAll(result.send);
        timer.refresh();
      }
      const need = result.need;
      if (!need) return;
      const bytes = reader.peek(need.offset, need.length);
      if (bytes) return supply(need.first, bytes);
      reader.read(need.offset, need.length).then(
        (read) => supply(need.first, read),
        (err: unknown) => apply(step(state, { type: 'error', from: 'local', code: ERROR_CODES.notDefined, message: `read failed: ${describe(err)}` })),
      );
    }

    // One window buffer, reused once the kernel has taken every packet of the last window
    // (nothing left in the send queue); otherwise the state machine allocates a fresh one.
    let scratch: Buffer | undefined;
    function supply(first: number, bytes: Buffer): void {
      if (finished) return;
      sent += bytes.length;
      const into = scratch !== undefined && socket.getSendQueueCount() === 0 ? scratch : undefined;
      const result = step(state, { type: 'data', first, bytes, ...(into ? { into } : {}) });
      const packet = result.send[0];
      if (packet && packet.byteOffset === 0 && packet.buffer !== scratch?.buffer && packet.buffer.byteLength >= windowBytes) scratch = Buffer.from(packet.buffer, 0, windowBytes);
      apply(result);
    }

    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') {
        // ICMP port unreachable: the client is gone; nothing more to send it.
        return apply(step(state, { type: 'error', from: 'peer', code: ERROR_CODES.notDefined, message: 'port unreachable (the client closed its port)' }));
      }
      log.warn({ ip: peer.address, file, err: describe(err) }, 'TFTP transfer socket error');
    });
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      try {
        // The hot path: a well-formed ACK needs no decoding into an object.
        if (msg.length >= 4 && msg.length <= 512 && msg[0] === 0 && msg[1] === 4) {
          slot.heard = now();
          apply(step(state, { type: 'ack', block: msg.readUInt16BE(2) }));
          handle.progress(bytesAcked(state));
          return;
        }
        let packet: TftpPacket;
        try {
          packet = decode(msg);
        } catch (err) {
          if (err instanceof TftpDecodeError) return malformed(err, rinfo, 'transfer');
          throw err;
        }
        if (packet.op === 'ack') {
          apply(step(state, { type: 'ack', block: packet.block }));
          handle.progress(bytesAcked(state));
        } else if (packet.op === 'error') {
          apply(step(state, { type: 'error', from: 'peer', code: packet.code, message: packet.message }));
        } else {
          log.debug({ ip: rinfo.address, op: packet.op }, 'unexpected packet during a read transfer; ignored');
        }
      } catch (err) {
        log.error({ ip: rinfo.address, err: describe(err) }, 'TFTP transfer failed');
        end();
      }
    });

    if (requested.size > 0 && state.accepted.size > 0) {
      timeline.record({ proto: 'tftp', event: 'oack', ip: peer.address, file, options: Object.fromEntries(state.accepted), size: opened.size, blksize: state.blksize, windowsize: state.windowsize });
    }
    try {
      apply(step(state, { type: 'start' }));
    } catch (err) {
      log.error({ ip: peer.address, file, err: describe(err) }, 'TFTP transfer failed to start');
      end();
    }
  };

  const macOf = (ip: string): { mac?: string } => {
    const mac = timeline.macForIp(ip);
    return mac === undefined ? {} : { mac };
  };

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
  log.info({ address: options.address, port, maxBlksize, interface: ifname }, 'TFTP listening');

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
