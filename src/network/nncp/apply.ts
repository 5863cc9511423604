// Applies a policy's interfaces the way nmstate does: checkpoint, apply, verify, probe the
// default gateway, and on any failure roll back to the checkpoint and say why.
import type { Logger } from '../../lib/logger.ts';
import { stepCommand, stepError } from './commands.ts';
import { ConnectivityLostError, VerificationError } from './errors.ts';
import { plan, restorePlan, takeCheckpoint } from './plan.ts';
import type { Checkpoint, DesiredInterface, HostState, Step } from './types.ts';
import { verify, verifyRestored } from './verify.ts';

/** The host the engine acts on (host.ts runs iproute2; tests use fake-host.ts). */
export interface NetworkHost {
  read(): Promise<HostState>;
  /** Runs one command line (`ip …` or `bridge …`); rejects with a HostCommandError. */
  run(argv: string[]): Promise<void>;
  /** Whether `gateway` answers ping (after resolving its MAC afresh). */
  ping(gateway: string): Promise<boolean>;
}

/** A command the host refused, with what it printed. */
export class HostCommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`\`${argv.join(' ')}\` failed: ${stderr.trim()}`, options);
    this.name = 'HostCommandError';
  }
}

export interface ApplyResult {
  ok: boolean;
  /** One line for status messages. */
  message: string;
  /** The planned steps (those run, when a step failed, are the first `applied`). */
  steps: Step[];
  applied: number;
  error?: Error;
  rollback?: { steps: Step[]; failures: string[]; remaining: string[] };
}

export interface ApplyOptions {
  host: NetworkHost;
  log: Logger;
  signal?: AbortSignal;
  /** Gets the checkpoint before the first change and is cleared when the apply has ended (either way). */
  journal?: { save(checkpoint: Checkpoint): Promise<void>; clear(): Promise<void> };
  /** Ping the default gateway before and after (default true); the default route is checked either way. */
  probeGateway?: boolean;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function runStep(host: NetworkHost, step: Step): Promise<void> {
  try {
    await host.run(stepCommand(step));
  } catch (err) {
    throw stepError(step, err instanceof HostCommandError ? err.stderr : errorText(err), err);
  }
}

/** Applies `desired` on the host; never throws for host failures (they are in the result). */
export async function applyDesiredState(desired: DesiredInterface[], options: ApplyOptions): Promise<ApplyResult> {
  const { host, log } = options;
  let before: HostState;
  try {
    before = await host.read();
  } catch (err) {
    // Reading the host failed (or was refused): nothing was touched; report it like any failure.
    return { ok: false, message: `${errorText(err)}; nothing was changed`, steps: [], applied: 0, error: err as Error };
  }
  let steps: Step[];
  try {
    steps = plan(before, desired);
  } catch (err) {
    return { ok: false, message: `${errorText(err)}; nothing was changed`, steps: [], applied: 0, error: err as Error };
  }
  if (steps.length === 0) return { ok: true, message: 'the host already has the desired state', steps, applied: 0 };
  const checkpoint = takeCheckpoint(before, desired);
  const gateway = before.defaultRoute?.gateway;
  const gatewayAnswered = gateway !== undefined && options.probeGateway !== false && (await host.ping(gateway));
  // Durable before anything changes: a daemon killed below rolls back from it at its next start.
  await options.journal?.save(checkpoint);
  let applied = 0;
  try {
    for (const step of steps) {
      options.signal?.throwIfAborted();
      log.debug({ step: stepCommand(step).join(' ') }, 'nncp step');
      await runStep(host, step);
      applied++;
    }
    const after = await host.read();
    const mismatches = verify(after, desired);
    if (mismatches.length > 0) throw new VerificationError(mismatches);
    if (before.defaultRoute && !after.defaultRoute) {
      throw new ConnectivityLostError(gateway, `the default route${gateway ? ` via ${gateway}` : ''}${before.defaultRoute.dev ? ` on ${before.defaultRoute.dev}` : ''} is gone`);
    }
    if (gateway !== undefined && gatewayAnswered && !(await host.ping(gateway))) {
      throw new ConnectivityLostError(gateway, `the default gateway ${gateway} answered ping before and does not now`);
    }
    await options.journal?.clear();
    return { ok: true, message: `applied ${steps.length} change(s)`, steps, applied };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    log.warn({ err: error.message, applied, planned: steps.length }, 'nncp apply failed; rolling back');
    const rollback = await rollBack(host, checkpoint);
    await options.journal?.clear();
    return { ok: false, message: `${error.message}; ${rollbackText(rollback)}`, steps, applied, error, rollback };
  }
}

function rollbackText(rollback: { steps: Step[]; failures: string[]; remaining: string[] }): string {
  const undone = rollback.remaining.length === 0 && rollback.failures.length === 0;
  return undone ? `rolled back to the previous state (${rollback.steps.length} change(s) undone)` : `rollback incomplete: ${[...rollback.failures, ...rollback.remaining].join('; ')}`;
}

/** Rolls the host back to a checkpoint an unfinished apply left; returns what happened in one line. */
export async function recoverFromCheckpoint(host: NetworkHost, checkpoint: Checkpoint): Promise<{ complete: boolean; message: string }> {
  const rollback = await rollBack(host, checkpoint);
  return { complete: rollback.remaining.length === 0 && rollback.failures.length === 0, message: rollbackText(rollback) };
}

async function rollBack(host: NetworkHost, checkpoint: Checkpoint): Promise<{ steps: Step[]; failures: string[]; remaining: string[] }> {
  const { steps, lost } = restorePlan(await host.read(), checkpoint);
  const failures = lost.map((name) => `${name} was deleted and cannot be recreated`);
  for (const step of steps) {
    // Best effort: one refused step must not keep the others from running.
    try {
      await runStep(host, step);
    } catch (err) {
      failures.push(errorText(err));
    }
  }
  const remaining = verifyRestored(await host.read(), checkpoint).filter((m) => !lost.some((name) => m.startsWith(`${name}:`)));
  return { steps, failures, remaining };
}
