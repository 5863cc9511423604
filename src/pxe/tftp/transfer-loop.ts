// One read transfer's data path: its connected socket, its read-ahead file view and its
// retransmission timer around the pure state machine. It runs on the main thread or on a
// worker thread alike; what the server records (timeline, metrics, caps, progress) leaves
// through `events`, so the loop itself touches nothing shared.
import type { Socket } from 'node:dgram';
import type { FileHandle } from 'node:fs/promises';
import { decode, ERROR_CODES, TftpDecodeError, type TftpOptions, type TftpPacket } from './codec.ts';
import { ReadAhead } from './read-ahead.ts';
import { bytesAcked, createReadTransfer, step, type ReadState, type StepResult, type TransferLimits, type TransferOutcome } from './transfer.ts';
import { enableGso, GSO_MAX_BYTES, GSO_MAX_SEGMENTS } from './udp.ts';

/** What a transfer reads: an open file (or generated content behind the same interface). */
export type Readable = Pick<FileHandle, 'read'>;

export interface LoopEvents {
  /** An OACK was sent granting these options. */
  oack(accepted: TftpOptions, state: ReadState): void;
  /** The client acknowledged more: file bytes acknowledged so far, and when it was heard. */
  progress(bytes: number, heard: number): void;
  /** The transfer finished, well or not (called once, before `ended`). */
  finished(outcome: TransferOutcome, state: ReadState): void;
  /** The socket is closed and the buffers dropped; `sent` counts file bytes sent, resends included. */
  ended(sent: number): void;
  /** A packet on the transfer's socket that does not decode. */
  malformed(err: TftpDecodeError): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface LoopOptions {
  socket: Socket;
  file: Readable;
  size: number;
  requested: TftpOptions;
  limits: TransferLimits;
  now: () => number;
  events: LoopEvents;
}

export interface TransferLoop {
  /** Ends the transfer now (close, eviction); `last` (an ERROR) leaves before the socket closes. */
  end(last?: Buffer): void;
}

/**
 * Per transfer: 256 KiB reads, one chunk ahead (at most ~768 KiB held), so the overall cap
 * of transfers bounds the buffers too (128 × 768 KiB = 96 MiB at the very worst).
 */
const READ_AHEAD = { chunkBytes: 256 << 10, ahead: 1 };

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Starts sending `file` over `socket` (connected to the client) as the options negotiate. */
export function runTransferLoop(options: LoopOptions): TransferLoop {
  const { socket, size, events, now } = options;
  const reader = new ReadAhead(options.file, size, READ_AHEAD);
  let state: ReadState = createReadTransfer(size, options.requested, options.limits);
  let finished = false;
  const timer = setTimeout(() => apply(step(state, { type: 'timeout' })), state.timeoutMs);
  timer.unref();

  let sent = 0;
  const end = (last?: Buffer) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    reader.close();
    if (last) socket.send(last, () => socket.close());
    else socket.close();
    events.ended(sent);
  };

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
      events.finished(result.done, state);
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

  const acked = (block: number) => {
    apply(step(state, { type: 'ack', block }));
    events.progress(bytesAcked(state), now());
  };

  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNREFUSED') {
      // ICMP port unreachable: the client is gone; nothing more to send it.
      return apply(step(state, { type: 'error', from: 'peer', code: ERROR_CODES.notDefined, message: 'port unreachable (the client closed its port)' }));
    }
    events.warn({ err: describe(err) }, 'TFTP transfer socket error');
  });
  socket.on('message', (msg: Buffer) => {
    try {
      // The hot path: a well-formed ACK needs no decoding into an object.
      if (msg.length >= 4 && msg.length <= 512 && msg[0] === 0 && msg[1] === 4) return acked(msg.readUInt16BE(2));
      let packet: TftpPacket;
      try {
        packet = decode(msg);
      } catch (err) {
        if (err instanceof TftpDecodeError) return events.malformed(err);
        throw err;
      }
      if (packet.op === 'ack') acked(packet.block);
      else if (packet.op === 'error') apply(step(state, { type: 'error', from: 'peer', code: packet.code, message: packet.message }));
    } catch (err) {
      events.warn({ err: describe(err) }, 'TFTP transfer failed');
      end();
    }
  });

  if (options.requested.size > 0 && state.accepted.size > 0) events.oack(state.accepted, state);
  try {
    apply(step(state, { type: 'start' }));
  } catch (err) {
    events.warn({ err: describe(err) }, 'TFTP transfer failed to start');
    end();
  }
  return { end };
}
