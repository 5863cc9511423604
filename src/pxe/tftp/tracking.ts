// The server's side of one running transfer, whichever data path runs it (transfer-loop.ts or
// the native addon): the slot it holds under the caps, its progress for /status, the timeline
// and the metrics. server.ts starts transfers; this keeps their books.
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../../lib/logger.ts';
import type { OpenedFile } from '../files.ts';
import type { PxeMetrics } from '../metrics.ts';
import type { Timeline } from '../timeline.ts';
import type { Transfers, TransferHandle } from '../transfers.ts';
import type { TransferCaps } from './caps.ts';
import type { TransferOutcome } from './transfer.ts';

/** A file to send: one opened under the roots, or content generated for this client (`content`). */
export type Source = Pick<OpenedFile, 'size'> & { handle: Pick<FileHandle, 'read' | 'close'>; content?: Buffer };

/** Content as a file handle (generated answers such as the signed chain's GRUB config). */
export function memoryFile(content: Buffer): Source {
  return {
    size: content.length,
    content,
    handle: {
      read: async (buffer: Buffer, offset: number, length: number, position: number) => ({ bytesRead: content.copy(buffer, offset, position, position + length), buffer }),
      close: async () => undefined,
    } as unknown as Pick<FileHandle, 'read' | 'close'>,
  };
}

export interface Peer {
  address: string;
  port: number;
}

/** A transfer's place in the server's table of running transfers (by client ip:port). */
export interface Slot {
  end(): void;
  /** When the client was last heard from (its request, then each ACK). */
  heard: number;
  /** Brings `heard` and the progress up to date (native transfers report them only when asked). */
  sync?: () => void;
  evict?: () => void;
}

/** What the server hears of one transfer, from either data path. */
export interface TransferHooks {
  oack(accepted: Map<string, string>, blksize: number, windowsize: number): void;
  progress(bytes: number, heard: number): void;
  finished(outcome: TransferOutcome, blksize: number, windowsize: number): void;
  /** The transfer's socket is closed (after finished, or an end). */
  ended(sent: number): void;
  malformed(err: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** The server's parts a transfer's books are kept in. */
export interface TrackingContext {
  now: () => number;
  log: Logger;
  timeline: Timeline;
  metrics: PxeMetrics;
  transfers: Transfers;
  caps: TransferCaps;
  /** The running transfers by client ip:port. */
  active: Map<string, Slot>;
  malformed: (err: unknown, peer: Peer, where: string) => void;
}

const macOf = (timeline: Timeline, ip: string): { mac?: string } => {
  const mac = timeline.macForIp(ip);
  return mac === undefined ? {} : { mac };
};

/**
 * The server's side of a running transfer, wherever its data path runs: the slot it holds
 * under the caps, its progress for /status, the timeline and the metrics.
 */
export function trackTransfer(ctx: TrackingContext, peer: Peer, file: string, opened: Source) {
  const { now, timeline, metrics, transfers, caps, active, log } = ctx;
  const key = `${peer.address}:${peer.port}`;
  const started = now();
  const handle: TransferHandle = transfers.start({ proto: 'tftp', file, ip: peer.address, size: opened.size, ...macOf(timeline, peer.address) });
  let acked = 0;
  let released = false;
  let ended = false;
  const record: { control: { end(error?: string): void }; hooks: TransferHooks; slot: Slot } = {
    control: { end: () => undefined },
    hooks: undefined as unknown as TransferHooks,
    slot: undefined as unknown as Slot,
  };
  /** Gives the slot back (at once on eviction, before the data path has closed its socket). */
  const release = () => {
    if (released) return;
    released = true;
    active.delete(key);
    caps.release(peer.address);
    handle.end();
  };
  const slot: Slot = {
    end: () => record.control.end(),
    heard: now(),
    evict: () => {
      if (released) return;
      const message = 'evicted: the server is at its transfer cap and this transfer had been silent the longest';
      metrics.tftpTransfers.inc({ result: 'error' });
      metrics.errors.inc({ proto: 'tftp', kind: 'busy' });
      timeline.record({ proto: 'tftp', event: 'error', ip: peer.address, file, reason: 'evicted', message, bytes: acked, ms: now() - started });
      release();
      record.control.end(message);
    },
  };
  active.set(key, slot);
  record.slot = slot;
  record.hooks = {
    oack: (accepted, blksize, windowsize) =>
      timeline.record({ proto: 'tftp', event: 'oack', ip: peer.address, file, options: Object.fromEntries(accepted), size: opened.size, blksize, windowsize }),
    progress: (bytes, heard) => {
      acked = bytes;
      slot.heard = heard;
      handle.progress(bytes);
    },
    finished: (outcome, blksize, windowsize) => {
      if (released) return; // evicted: already recorded
      const fields = { ip: peer.address, file, size: opened.size, blksize, windowsize, bytes: outcome.bytes, ms: now() - started };
      if (outcome.ok) {
        metrics.tftpTransfers.inc({ result: 'ok' });
        timeline.record({ proto: 'tftp', event: 'done', ...fields });
      } else {
        metrics.tftpTransfers.inc({ result: 'error' });
        metrics.errors.inc({ proto: 'tftp', kind: outcome.reason === 'timeout' ? 'timeout' : outcome.reason === 'local-error' ? 'io' : 'refused' });
        timeline.record({ proto: 'tftp', event: 'error', ...fields, reason: outcome.reason, message: outcome.message });
      }
    },
    ended: (sent) => {
      if (ended) return;
      ended = true;
      metrics.tftpBytes.inc(sent);
      release();
      void opened.handle.close().catch(() => undefined);
    },
    malformed: (err) => ctx.malformed(err, peer, 'transfer'),
    warn: (fields, message) => log.warn({ ip: peer.address, file, ...fields }, message),
  };
  return record;
}
