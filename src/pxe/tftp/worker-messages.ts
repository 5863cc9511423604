// The messages between the TFTP server (main thread) and its transfer workers.
import type { TransferLimits, TransferOutcome } from './transfer.ts';

export type ToWorker =
  | {
      type: 'start';
      id: number;
      /** The server's address: the transfer's socket binds there (a fresh port, its TID). */
      address: string;
      peer: { address: string; port: number };
      /** The open file's descriptor (held open by the main thread until `ended`), or the content itself. */
      fd?: number;
      content?: Uint8Array;
      size: number;
      requested: Array<[string, string]>;
      limits: TransferLimits;
    }
  /** Ends the transfer now; `error`, when given, goes to the client in an ERROR first. */
  | { type: 'end'; id: number; error?: string };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'oack'; id: number; accepted: Array<[string, string]>; blksize: number; windowsize: number }
  /** [id, bytes acknowledged, when heard (ms)] for each transfer that moved since the last. */
  | { type: 'progress'; list: Array<[number, number, number]> }
  | { type: 'finished'; id: number; outcome: TransferOutcome; blksize: number; windowsize: number }
  | { type: 'ended'; id: number; sent: number }
  /** The transfer could not start (its socket did not bind or connect). */
  | { type: 'failed'; id: number; err: string }
  | { type: 'malformed'; id: number; err: string }
  | { type: 'warn'; id: number; fields: Record<string, unknown>; message: string };
