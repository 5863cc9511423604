// A VMI's "pod": its own network namespace and run dir. Created before QEMU starts, removed
// (processes inside ended by pid first) when the VMI is cleaned up.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mkdirPrivateSync } from '../lib/private-file.ts';
import type { SpareNetns, TakenNetns } from './netns-spare.ts';

const run = promisify(execFile);

export const DEFAULT_NETNS_PREFIX = 'pxv-';

export interface Pod {
  uid: string;
  netns: string;
  runDir: string;
}

/** An `ip` command failed. */
export class PodError extends Error {
  constructor(
    readonly netns: string,
    readonly command: string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`pod ${netns}: \`${command}\` failed: ${stderr.trim() || '(no output)'}`, options);
    this.name = 'PodError';
  }
}

const UID = /^[A-Za-z0-9][A-Za-z0-9-]{7,63}$/;

/** Where a VMI's pod lives: netns `<prefix><first 8 of uid>`, run dir `<dataDir>/run/vmi/<uid>`. */
export function podFor(uid: string, options: { dataDir: string; netnsPrefix?: string }): Pod {
  // The uid becomes a path and a namespace name: refuse anything that could escape either.
  if (!UID.test(uid)) throw new Error(`VMI uid: expected 8–64 letters, digits and dashes, found ${JSON.stringify(uid)}`);
  return { uid, netns: `${options.netnsPrefix ?? DEFAULT_NETNS_PREFIX}${uid.slice(0, 8)}`, runDir: join(options.dataDir, 'run', 'vmi', uid) };
}

async function ip(netns: string, ...args: string[]): Promise<string> {
  try {
    return (await run('ip', args)).stdout;
  } catch (err) {
    throw new PodError(netns, `ip ${args.join(' ')}`, (err as { stderr?: string }).stderr ?? String(err), { cause: err });
  }
}

/** Whether the named network namespace exists. */
export const netnsExists = (netns: string): boolean => existsSync(join('/run/netns', netns));

/**
 * A pod's namespace as a start gets it: `path` to join now (until `release()`); `bind()` makes it
 * known by the pod's name (see TakenNetns; without a spare the name is there already).
 */
export type PodNetns = TakenNetns;

/**
 * Creates the run dir and the netns (loopback up); reuses either when it already exists. With a
 * spare ready, a new netns is the spare, held by the daemon's descriptor; the caller starts
 * `bind()` when it suits it, waits for it before the pod is used by name, and releases it.
 */
export async function createPod(pod: Pod, spare?: SpareNetns): Promise<PodNetns> {
  mkdirPrivateSync(pod.runDir); // synchronous: a pool round trip costs a reschedule under load
  if (!netnsExists(pod.netns)) {
    const given = spare?.take(pod.netns);
    if (given) return given;
    await ip(pod.netns, 'netns', 'add', pod.netns);
  }
  await ip(pod.netns, '-n', pod.netns, 'link', 'set', 'dev', 'lo', 'up');
  return { path: join('/run/netns', pod.netns), bind: () => Promise.resolve(), release: () => undefined };
}

/** Pids of the processes inside the netns. */
export async function netnsPids(netns: string): Promise<number[]> {
  if (!netnsExists(netns)) return [];
  const out = await ip(netns, 'netns', 'pids', netns).catch(() => '');
  return out.split(/\s+/).filter((s) => /^[0-9]+$/.test(s)).map(Number);
}

/** Kills what runs inside the netns (by pid), deletes it and the run dir. Idempotent. */
export async function removePod(pod: Pod): Promise<void> {
  for (const pid of await netnsPids(pod.netns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (netnsExists(pod.netns)) {
    // A process just killed may hold the namespace a moment longer; deletion still unmounts it.
    await ip(pod.netns, 'netns', 'del', pod.netns).catch((err: unknown) => {
      if (netnsExists(pod.netns)) throw err;
    });
  }
  await rm(pod.runDir, { recursive: true, force: true });
}
