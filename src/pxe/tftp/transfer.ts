// One TFTP read transfer as a pure state machine: option negotiation (RFC 2347/2348/2349/
// 7440), windowed sending, 16-bit block-number rollover, retransmission on timeout.
// It never reads the file: when it needs blocks it returns `need` (a block and byte range)
// and the shell answers with a `data` event carrying exactly those bytes.
import { encode, encodeDataInto, encodeError, ERROR_CODES, type TftpOptions } from './codec.ts';

export interface TransferLimits {
  /** Largest block the path allows (MTU minus 32 bytes of IP, UDP and TFTP headers). */
  maxBlksize: number;
  /** Largest window granted to a client asking for RFC 7440's windowsize. */
  maxWindowsize: number;
  /** Retransmission timeout when the client does not ask for one. */
  defaultTimeoutMs: number;
  /** Retransmissions of one window before giving up. */
  maxRetries: number;
  /**
   * Largest retransmission timeout granted, in seconds (RFC 2349 allows 1–255; a spoofed
   * request asking 255 s would hold a socket and a file for (retries + 1) × 255 s).
   */
  maxTimeoutS: number;
}

export const DEFAULT_LIMITS: TransferLimits = { maxBlksize: 1468, maxWindowsize: 64, defaultTimeoutMs: 1000, maxRetries: 5, maxTimeoutS: 5 };

/** Blocks [first, first + count) (absolute numbers, 1-based), i.e. file bytes [offset, offset + length). */
export interface BlockRange {
  first: number;
  count: number;
  offset: number;
  length: number;
}

export interface ReadState {
  phase: 'new' | 'oack' | 'sending' | 'done';
  size: number;
  blksize: number;
  windowsize: number;
  timeoutMs: number;
  maxRetries: number;
  /** Absolute number of the final block (which is short, possibly empty). */
  lastBlock: number;
  /** Highest block acknowledged (absolute; 0 before any). */
  acked: number;
  /** Highest block sent (absolute). */
  sentTo: number;
  retries: number;
  /** Options granted, in the client's order; empty when no OACK is sent. */
  accepted: TftpOptions;
  /** Blocks asked of the shell and not yet supplied. */
  pending: BlockRange | undefined;
}

export type TransferEvent =
  | { type: 'start' }
  /** The blocks asked for; `into`, when large enough, is reused for the packets (the shell knows it is free). */
  | { type: 'data'; first: number; bytes: Buffer; into?: Buffer }
  | { type: 'ack'; block: number }
  | { type: 'timeout' }
  | { type: 'error'; from: 'peer' | 'local'; code: number; message: string };

export type TransferOutcome =
  | { ok: true; bytes: number }
  | { ok: false; reason: 'timeout' | 'peer-error' | 'options-refused' | 'local-error'; message: string; bytes: number };

export interface StepResult {
  state: ReadState;
  send: Buffer[];
  need?: BlockRange;
  done?: TransferOutcome;
}

const DIGITS = /^[0-9]{1,12}$/;
const int = (value: string | undefined): number | undefined => (value !== undefined && DIGITS.test(value) ? Number(value) : undefined);

export interface Negotiated {
  blksize: number;
  windowsize: number;
  timeoutMs: number;
  accepted: TftpOptions;
}

/** Grants what the client asked for within the limits; unknown and invalid options are ignored. */
export function negotiate(requested: TftpOptions, size: number, limits: TransferLimits): Negotiated {
  const result: Negotiated = { blksize: 512, windowsize: 1, timeoutMs: limits.defaultTimeoutMs, accepted: new Map() };
  for (const [name, value] of requested) {
    const n = int(value);
    if (n === undefined) continue;
    if (name === 'blksize' && n >= 8) {
      result.blksize = Math.min(n, limits.maxBlksize, 65464);
      result.accepted.set(name, String(result.blksize));
    } else if (name === 'tsize' && size > 0) {
      // Omitted for an empty file: curl treats "tsize 0" in an OACK as illegal.
      result.accepted.set(name, String(size));
    } else if (name === 'timeout' && n >= 1 && n <= 255) {
      // Clamped, and the clamped value answered: the client then retransmits on our clock.
      const seconds = Math.min(n, limits.maxTimeoutS);
      result.timeoutMs = seconds * 1000;
      result.accepted.set(name, String(seconds));
    } else if (name === 'windowsize' && n >= 1 && n <= 65535) {
      result.windowsize = Math.min(n, limits.maxWindowsize);
      result.accepted.set(name, String(result.windowsize));
    }
  }
  return result;
}

/** The initial state of a read of `size` bytes for a request carrying `options`. */
export function createReadTransfer(size: number, options: TftpOptions, limits: TransferLimits = DEFAULT_LIMITS): ReadState {
  const n = negotiate(options, size, limits);
  return {
    phase: 'new',
    size,
    blksize: n.blksize,
    windowsize: n.windowsize,
    timeoutMs: n.timeoutMs,
    maxRetries: limits.maxRetries,
    lastBlock: Math.floor(size / n.blksize) + 1,
    acked: 0,
    sentTo: 0,
    retries: 0,
    accepted: n.accepted,
    pending: undefined,
  };
}

/**
 * The state with these fields changed. Every state is built here with the same fields in the
 * same order, so V8 keeps one hidden class for them (spreads and rest made a new one per
 * packet: 10 % of a lock-step packet's CPU went to map transitions).
 */
function moved(s: ReadState, phase: ReadState['phase'], acked: number, sentTo: number, retries: number, pending: BlockRange | undefined): ReadState {
  return { phase, size: s.size, blksize: s.blksize, windowsize: s.windowsize, timeoutMs: s.timeoutMs, maxRetries: s.maxRetries, lastBlock: s.lastBlock, acked, sentTo, retries, accepted: s.accepted, pending };
}

/** File bytes the client has acknowledged. */
export function bytesAcked(state: ReadState): number {
  return Math.min(state.acked * state.blksize, state.size);
}

/** The range of the window that starts at block `from`. */
export function windowFrom(state: ReadState, from: number): BlockRange {
  const count = Math.min(state.windowsize, state.lastBlock - from + 1);
  const offset = (from - 1) * state.blksize;
  return { first: from, count, offset, length: Math.max(0, Math.min(count * state.blksize, state.size - offset)) };
}

/** Asks for the window from block `from`, in `phase` with `retries` (the rest of the state kept). */
function ask(state: ReadState, phase: ReadState['phase'], acked: number, retries: number, from: number): StepResult {
  const need = windowFrom(state, from);
  return { state: moved(state, phase, acked, state.sentTo, retries, need), send: [], need };
}

function finish(state: ReadState, done: TransferOutcome, send: Buffer[] = [], acked = state.acked): StepResult {
  return { state: moved(state, 'done', acked, state.sentTo, state.retries, undefined), send, done };
}

const fail = (state: ReadState, reason: Exclude<TransferOutcome, { ok: true }>['reason'], message: string) => ({ ok: false as const, reason, message, bytes: bytesAcked(state) });

/** Advances the transfer by one event. */
export function step(state: ReadState, event: TransferEvent): StepResult {
  const idle: StepResult = { state, send: [] };
  if (state.phase === 'done') return idle;
  switch (event.type) {
    case 'start':
      if (state.phase !== 'new') return idle;
      if (state.accepted.size > 0) return { state: moved(state, 'oack', state.acked, state.sentTo, state.retries, state.pending), send: [encode({ op: 'oack', options: state.accepted })] };
      return ask(state, 'sending', state.acked, state.retries, 1);

    case 'data': {
      const want = state.pending;
      if (!want || event.first !== want.first) return idle;
      if (event.bytes.length !== want.length) {
        const message = `file changed while being read: expected ${want.length} bytes at offset ${want.offset}, found ${event.bytes.length}`;
        return finish(state, fail(state, 'local-error', message), [encodeError(ERROR_CODES.notDefined, 'read error')]);
      }
      // The window's packets are laid end to end in one buffer, so a shell can send them in one go.
      const bytes = want.count * 4 + want.length;
      const window = event.into && event.into.length >= bytes ? event.into : Buffer.allocUnsafeSlow(Math.max(bytes, state.windowsize * (state.blksize + 4)));
      const send: Buffer[] = [];
      let at = 0;
      for (let i = 0; i < want.count; i++) {
        const start = Math.min(i * state.blksize, want.length);
        const end = Math.min(start + state.blksize, want.length);
        const packetEnd = encodeDataInto(window, at, want.first + i, event.bytes, start, end);
        send.push(window.subarray(at, packetEnd));
        at = packetEnd;
      }
      return { state: moved(state, state.phase, state.acked, Math.max(state.sentTo, want.first + want.count - 1), state.retries, undefined), send };
    }

    case 'ack': {
      if (state.phase === 'oack') return event.block === 0 ? ask(state, 'sending', state.acked, 0, 1) : idle;
      if (state.phase !== 'sending') return idle;
      // The block acknowledged, unwrapped: the one at or after `acked` with these low 16 bits.
      const block = state.acked + (((event.block & 0xffff) - (state.acked & 0xffff)) & 0xffff);
      if (block === state.acked || block > state.sentTo) return idle; // duplicate or stale: never resend on it (Sorcerer's Apprentice)
      if (block === state.lastBlock) return finish(state, { ok: true, bytes: state.size }, [], block);
      // A full window slides on; an earlier block means the rest was lost: resend from there (RFC 7440).
      return ask(state, state.phase, block, 0, block + 1);
    }

    case 'timeout': {
      if (state.phase === 'new') return idle;
      if (state.retries >= state.maxRetries) {
        const message = `no acknowledgement after ${state.retries + 1} tries of ${state.timeoutMs} ms (last acknowledged block ${state.acked})`;
        return finish(state, fail(state, 'timeout', message), [encodeError(ERROR_CODES.notDefined, 'timed out')]);
      }
      const retries = state.retries + 1;
      if (state.phase === 'oack') return { state: moved(state, state.phase, state.acked, state.sentTo, retries, state.pending), send: [encode({ op: 'oack', options: state.accepted })] };
      if (state.pending) return { state: moved(state, state.phase, state.acked, state.sentTo, retries, state.pending), send: [] };
      return ask(state, state.phase, state.acked, retries, state.acked + 1);
    }

    case 'error':
      if (event.from === 'local') return finish(state, fail(state, 'local-error', event.message), [encodeError(event.code, event.message)]);
      return finish(
        state,
        fail(state, event.code === ERROR_CODES.optionsRefused ? 'options-refused' : 'peer-error', `client sent error ${event.code}: ${event.message}`),
      );
  }
}
