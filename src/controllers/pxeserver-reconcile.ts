// The PXEServer reconciler, pure: the object (desired), what this node has for it (observed:
// the server running, ended or absent, plus the retry bookkeeping) and the time in → the next
// bookkeeping, the status to report, the actions, the events and when to look again. The
// controller (pxeserver-controller.ts) carries the actions out through the PxeServerHost port.
import type { ExitRecord } from '../runtime/detached-process.ts';
import type { Reconciled } from './reconciler.ts';
import { PxeReason, type PxeServerPhase } from './pxeserver-status.ts';

/** A server that ran longer than this before it ended starts a fresh backoff. */
export const STABLE_RUN_MS = 60_000;
/** The longest retry delay. */
export const MAX_RETRY_MS = 300_000;

export interface PxeServerDesired {
  /** Hash of the spec (a changed spec restarts the server and clears a backoff). */
  specHash: string;
  deleting: boolean;
  hasFinalizer: boolean;
  /** Whether the spec's NetworkAttachmentDefinition exists (`nad` names it). */
  nadExists: boolean;
  nad: string;
  network: string;
  /** Ready's message while serving. */
  servingMessage: string;
}

/** What the controller remembers between reconciles (not in the store). */
export interface PxeServerBook {
  /** The spec hash the running server was started with. */
  runningHash?: string;
  /** When the running server started (ms since the epoch, from the injected clock). */
  startedAt?: number;
  failure?: { reason: PxeReason; message: string };
  /** The spec hash the last failure happened with. */
  failedHash?: string;
  attempts: number;
  /** No start before this time (ms). */
  retryAt?: number;
}

export interface PxeServerObserved {
  server: 'none' | 'running' | 'exited';
  /** How it ended, when `exited`. */
  exit?: ExitRecord;
  book: PxeServerBook;
}

export type PxeServerAction =
  | { type: 'addFinalizer' }
  /** Stop the server, remove the pod, then the finalizer. */
  | { type: 'teardown' }
  /** Stop the server (its spec changed); a start follows on the next reconcile. */
  | { type: 'stop' }
  /** Forget the ended server (its exit is reported). */
  | { type: 'forgetExit' }
  /** Attach, download, launch; the loop reconciles again when it is done (or failed via `startFailed`). */
  | { type: 'start' }
  /** Read the server's /status document into status. */
  | { type: 'readStatus' };

export interface PxeServerStatusDecision {
  phase: PxeServerPhase;
  reason: PxeReason;
  message: string;
}

export interface PxeServerResult extends Reconciled<PxeServerStatusDecision, PxeServerAction> {
  book: PxeServerBook;
}

export interface PxeServerReconcileOptions {
  /** First restart delay after a failure (doubles up to MAX_RETRY_MS). */
  retryBaseMs: number;
}

/** Decides the next step for one PXEServer. */
export function reconcilePxeServer(desired: PxeServerDesired, observed: PxeServerObserved, now: Date, o: PxeServerReconcileOptions): PxeServerResult {
  const t = now.getTime();
  const book: PxeServerBook = { ...observed.book };
  if (desired.deleting) {
    return { book, status: { phase: 'Terminating', reason: PxeReason.Terminating, message: 'stopping the server and removing its pod' }, actions: [{ type: 'teardown' }], events: [] };
  }
  const actions: PxeServerAction[] = desired.hasFinalizer ? [] : [{ type: 'addFinalizer' }];
  const events: PxeServerResult['events'] = [];
  let server = observed.server;
  if (server === 'running' && book.runningHash !== desired.specHash) {
    actions.push({ type: 'stop' });
    events.push({ type: 'Normal', reason: 'Restarting', message: 'the spec changed; restarting the PXE server' });
    server = 'none';
    book.attempts = 0;
    delete book.retryAt;
  }
  if (book.failedHash !== undefined && book.failedHash !== desired.specHash) {
    delete book.retryAt;
    book.attempts = 0;
  }
  if (server === 'exited') {
    actions.push({ type: 'forgetExit' });
    if (book.startedAt !== undefined && t - book.startedAt > STABLE_RUN_MS) book.attempts = 0;
    return failed({ book, actions, events }, PxeReason.ServerExited, observed.exit?.reason ?? 'the server ended', desired.specHash, now, o);
  }
  if (server === 'none') {
    if (book.retryAt !== undefined && t < book.retryAt) return { book, status: undefined, actions, events, requeueAfter: book.retryAt - t };
    if (!desired.nadExists) return failed({ book, actions, events }, PxeReason.NetworkNotFound, `NetworkAttachmentDefinition ${desired.nad} not found (spec.network ${JSON.stringify(desired.network)})`, desired.specHash, now, o);
    actions.push({ type: 'start' });
    // While retrying, Ready keeps saying why the last attempt failed.
    const status = book.failure ? undefined : { phase: 'Pending' as const, reason: PxeReason.Starting, message: 'attaching to the network and starting the server' };
    return { book, status, actions, events };
  }
  actions.push({ type: 'readStatus' });
  return { book, status: { phase: 'Running', reason: PxeReason.Serving, message: desired.servingMessage }, actions, events };
}

/** The server started: the bookkeeping of a healthy server. */
export function pxeServerStarted(book: PxeServerBook, specHash: string, now: Date): PxeServerBook {
  const { failure: _f, failedHash: _h, retryAt: _r, ...rest } = book;
  return { ...rest, runningHash: specHash, startedAt: now.getTime() };
}

/** A start failed (or the server ended): backoff, Failed status, a Warning event. */
export function pxeServerStartFailed(book: PxeServerBook, reason: PxeReason, message: string, specHash: string, now: Date, o: PxeServerReconcileOptions): PxeServerResult {
  return failed({ book: { ...book }, actions: [], events: [] }, reason, message, specHash, now, o);
}

function failed(r: { book: PxeServerBook; actions: PxeServerAction[]; events: PxeServerResult['events'] }, reason: PxeReason, message: string, specHash: string, now: Date, o: PxeServerReconcileOptions): PxeServerResult {
  const book = r.book;
  book.failure = { reason, message };
  book.failedHash = specHash;
  book.attempts++;
  const delay = Math.min(o.retryBaseMs * 2 ** (book.attempts - 1), MAX_RETRY_MS);
  book.retryAt = now.getTime() + delay;
  return { book, status: { phase: 'Failed', reason, message }, actions: r.actions, events: [...r.events, { type: 'Warning', reason, message }], requeueAfter: delay };
}
