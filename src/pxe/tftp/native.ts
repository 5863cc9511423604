// The native data path (native/tftp_data.c, built to build/native/tftp_data.node by `make
// native`): a transfer's data phase runs in C on Node's own loop, and JavaScript hears of it
// once, at its end. Negotiation stays in transfer.ts; this module hands the result over and
// turns the addon's end report back into a TransferOutcome. When the addon is not built the
// server runs transfer-loop.ts instead (the same rules in JavaScript).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { encode, type TftpOptions } from './codec.ts';
import { createReadTransfer, type TransferLimits, type TransferOutcome } from './transfer.ts';

type Handle = object;
/** done(result, ackedBytes, sentBytes, retransmits, malformed, message, ms) */
type Done = (result: number, acked: number, sent: number, retransmits: number, malformed: number, message: string, ms: number) => void;

interface Addon {
  start(
    local: string,
    peer: string,
    port: number,
    fd: number,
    content: Buffer | null,
    size: number,
    blksize: number,
    windowsize: number,
    timeoutMs: number,
    maxRetries: number,
    oack: Buffer | null,
    done: Done,
  ): Handle;
  progress(handle: Handle): [acked: number, msSinceHeard: number];
  end(handle: Handle, message?: string): void;
}

/** The addon's result codes (tftp_data.c's OUT_*), in order. */
const OUTCOMES = ['ok', 'timeout', 'peer-error', 'options-refused', 'local-error', 'ended'] as const;

/** Where `make native` puts the addon, seen from src/pxe/tftp/ or from dist/cli/ (the compiled CLI). */
const ADDON = import.meta.url.endsWith('.ts') ? '../../../build/native/tftp_data.node' : '../../build/native/tftp_data.node';

let loaded: Addon | null | undefined;

/** The addon, or undefined when it has not been built (`make native`). */
export function nativeAddon(): Addon | undefined {
  if (loaded === undefined) {
    const path = fileURLToPath(new URL(ADDON, import.meta.url));
    loaded = existsSync(path) ? (createRequire(import.meta.url)(path) as Addon) : null;
  }
  return loaded ?? undefined;
}

export interface NativeHooks {
  oack(accepted: TftpOptions, blksize: number, windowsize: number): void;
  /** The transfer finished on its own (not ended by `end()`); called once, before `ended`. */
  finished(outcome: TransferOutcome, blksize: number, windowsize: number): void;
  /** The socket is closed; `sent` counts file bytes sent, resends included. */
  ended(sent: number): void;
  /** Datagrams on the transfer's socket that were not TFTP: `count` of them over the whole transfer. */
  malformed(message: string, count: number): void;
  /** Retransmissions (windows and OACKs resent on timeout), reported once at the end. */
  retransmits?(count: number, ms: number): void;
}

export interface NativeTransfer {
  /** File bytes acknowledged and how long ago (ms) the client was last heard. */
  progress(): { bytes: number; silentMs: number };
  /** Ends the transfer now; `error`, when given, leaves as an ERROR packet first. */
  end(error?: string): void;
}

export interface NativeStart {
  addon: Addon;
  local: string;
  peer: { address: string; port: number };
  /** The bytes: generated content in memory, or else the open file's descriptor (read with pread). */
  content?: Buffer;
  fd: number;
  size: number;
  requested: TftpOptions;
  limits: TransferLimits;
  hooks: NativeHooks;
}

/** Whether the addon takes these addresses (literals without an IPv6 zone). */
export const nativeAddresses = (local: string, peer: string): boolean => !local.includes('%') && !peer.includes('%');

/** Starts a transfer's data phase in the addon; throws (nothing started) when its socket cannot be made. */
export function startNative(options: NativeStart): NativeTransfer {
  const { addon, hooks, size } = options;
  const state = createReadTransfer(size, options.requested, options.limits);
  const { blksize, windowsize, accepted } = state;
  const oack = accepted.size > 0 ? encode({ op: 'oack', options: accepted }) : null;
  let running = true;
  const done: Done = (result, acked, sent, retransmits, malformed, message, ms) => {
    running = false;
    const reason = OUTCOMES[result];
    if (malformed > 0) hooks.malformed(`${malformed} datagram(s) on the transfer's socket were not TFTP (too short, too long, unknown opcode or an unterminated ERROR)`, malformed);
    if (retransmits > 0) hooks.retransmits?.(retransmits, ms);
    if (reason === 'ok') hooks.finished({ ok: true, bytes: size }, blksize, windowsize);
    else if (reason !== 'ended' && reason !== undefined) hooks.finished({ ok: false, reason, message, bytes: acked }, blksize, windowsize);
    hooks.ended(sent);
  };
  const { limits } = options;
  const handle = addon.start(options.local, options.peer.address, options.peer.port, options.content ? -1 : options.fd, options.content ?? null, size, blksize, windowsize, state.timeoutMs, limits.maxRetries, oack, done);
  // Recorded once the socket exists (the client's ACK cannot be handled before this returns).
  if (options.requested.size > 0 && accepted.size > 0) hooks.oack(accepted, blksize, windowsize);
  return {
    // After `done` the handle's memory is freed in C: never pass it again.
    progress: () => {
      if (!running) return { bytes: 0, silentMs: 0 };
      const [bytes, silentMs] = addon.progress(handle);
      return { bytes, silentMs };
    },
    end: (error) => {
      if (running) addon.end(handle, error);
    },
  };
}
