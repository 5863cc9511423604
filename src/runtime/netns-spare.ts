// One network namespace made ahead of need, so that a guest start does not wait for the kernel
// to build one (~50–90 ms on this machine, most of a pod's cost: `ip netns add` is mostly
// kernel time, see docs/benchmarks.md). Container runtimes keep pause sandboxes warm for the
// same reason.
//
// A start takes the spare: the daemon opens it (an nsfs descriptor: the namespace lives as
// long as the descriptor, whatever happens to its names) and hands out `/proc/<daemon pid>/fd/<n>`,
// which QEMU's `nsenter --net=` joins at once. The bind under the pod's name (`mount
// --no-canonicalize --bind` of that same path: one process, a few ms) runs beside QEMU's start,
// off its critical path; the start ends only once it has settled, so users, teardown and `ip
// netns exec` find the pod by its name. The taker releases (closes) the descriptor after both.
// Nothing on a start opens the spare by its own name, so that name can be dropped any time
// after the take: `replenish` drops it and makes a new spare a second after the start, so
// neither competes with QEMU's start for the CPU. (Entering by the spare's name raced with that
// deletion: `nsenter: cannot open …spare…`, docs/decisions.md.)
//
// The spare is named `<prefix>spare-<pid>-<4 hex>`: under the daemon's netns prefix (so whatever
// cleans a prefix after a kill -9 cleans it too), told from a pod by `isSpareNetns` (a pod is
// `<prefix><8 of the uid>`), and with the daemon's pid, so a later daemon deletes a spare whose
// owner has died, and never a live daemon's. One daemon has at most one spare name at a time.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../lib/logger.ts';

const run = promisify(execFile);
const NETNS_DIR = '/run/netns';
const SPARE = /spare-([0-9]{1,10})-[0-9a-f]{4}$/;

/** A namespace given to a start: joinable at `path` at once, known by its name once `bind()` has settled. */
export interface TakenNetns {
  /** `/proc/<daemon pid>/fd/<n>`: valid for `nsenter --net=` and the like until `release()`. */
  path: string;
  /** Binds the namespace under the pod's name (a process, started at the first call; the same promise after). */
  bind: () => Promise<void>;
  /**
   * Closes the descriptor behind `path` (after the bind, if one is under way); call it once every
   * process given `path` has opened it: a closed number can be reused by another file at once.
   * Idempotent; a bind not started by then is refused.
   */
  release: () => void;
}

export interface SpareNetns {
  /**
   * Gives the spare namespace (loopback up) to `target` (see TakenNetns). Undefined when none is
   * ready or `target` exists: the caller makes its own.
   */
  take(target: string): TakenNetns | undefined;
  /** Drops a taken spare's own name (unused once taken) and makes a new spare (after a start, in the background). */
  replenish(): Promise<void>;
  /** Whether a spare is ready to be taken now. */
  ready(): boolean;
  /** Deletes the spares of daemons that have died under the same prefix (at daemon start). */
  sweep(): Promise<void>;
  /** Deletes the spare (and one being made, once it is). */
  close(): Promise<void>;
}

/** Whether a namespace name is a daemon's spare (`…spare-<pid>-<4 hex>`) rather than a pod's. */
export const isSpareNetns = (name: string): boolean => SPARE.test(name);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Names of spares under `prefix` whose daemon is gone. */
export function staleSpares(prefix: string, names: readonly string[], isAlive: (pid: number) => boolean = alive): string[] {
  const pattern = new RegExp(`^${escape(prefix)}${SPARE.source}`);
  return names.filter((name) => {
    const m = pattern.exec(name);
    return m !== null && !isAlive(Number(m[1]));
  });
}

export function createSpareNetns(options: { prefix: string; log: Logger }): SpareNetns {
  const { prefix, log } = options;
  let ready: string | undefined;
  // A spare given to a pod whose own name is still to be dropped.
  let taken: string | undefined;
  let making: Promise<void> | undefined;
  let closed = false;

  const del = (name: string) =>
    run('ip', ['netns', 'del', name]).then(
      () => undefined,
      (err: unknown) => log.warn({ netns: name, err: String((err as { stderr?: string }).stderr ?? err) }, 'cannot delete a spare network namespace'),
    );

  const replenish = (): Promise<void> => {
    if (closed) return making ?? Promise.resolve();
    if (making) return making;
    if (ready !== undefined && taken === undefined) return Promise.resolve();
    making = (async () => {
      if (taken !== undefined) {
        // Only the name goes: the taker holds the namespace by its descriptor until its bind does.
        const name = taken;
        await del(name);
        if (taken === name) taken = undefined;
      }
      if (closed || ready !== undefined) return;
      const name = `${prefix}spare-${process.pid}-${randomBytes(2).toString('hex')}`;
      try {
        await run('ip', ['netns', 'add', name]);
        await run('ip', ['-n', name, 'link', 'set', 'dev', 'lo', 'up']);
      } catch (err) {
        log.warn({ netns: name, err: String((err as { stderr?: string }).stderr ?? err) }, 'cannot make a spare network namespace; pods make their own');
        await del(name);
        return;
      }
      if (closed) await del(name);
      else ready = name;
    })().finally(() => (making = undefined));
    return making;
  };

  return {
    ready: () => ready !== undefined,
    replenish,
    async sweep() {
      let names: string[];
      try {
        names = readdirSync(NETNS_DIR);
      } catch {
        return; // no /run/netns yet: no spare either
      }
      for (const stale of staleSpares(prefix, names)) {
        log.info({ netns: stale }, 'deleting the spare network namespace of a daemon that has ended');
        await del(stale);
      }
    },
    take(target) {
      const name = ready;
      if (name === undefined || taken !== undefined) return undefined;
      const path = join(NETNS_DIR, target);
      let fd: number;
      try {
        fd = openSync(join(NETNS_DIR, name), 'r');
      } catch (err) {
        log.warn({ netns: name, err: String(err) }, 'cannot open the spare network namespace; the pod makes its own');
        ready = undefined;
        taken = name; // replenish drops whatever is left of it
        return undefined;
      }
      try {
        writeFileSync(path, '', { flag: 'wx', mode: 0 });
      } catch {
        closeSync(fd);
        return undefined;
      }
      // Taken from here on, bound or not; replenish drops the spare's name.
      ready = undefined;
      taken = name;
      const held = `/proc/${process.pid}/fd/${fd}`;
      let open = true;
      let bound: Promise<void> | undefined;
      const bind = () => {
        if (bound === undefined && !open) return Promise.reject(new Error(`the spare network namespace ${name} was released before its bind as ${target}`));
        // --no-canonicalize: mount(8) would resolve the /proc link to the spare's name, which
        // may be gone by now ("/run/netns/…spare… (deleted)"); the kernel follows it to the namespace.
        bound ??= run('mount', ['--no-canonicalize', '--bind', held, path]).then(
          () => undefined,
          (err: unknown) => {
            rmSync(path, { force: true });
            throw new Error(`cannot bind the spare network namespace ${name} as ${target}: ${String((err as { stderr?: string }).stderr ?? err).trim()}`, { cause: err });
          },
        );
        bound.catch(() => undefined); // the caller awaits it; never an unhandled rejection meanwhile
        return bound;
      };
      const release = () => {
        if (!open) return;
        open = false;
        // A bind still under way reads the descriptor's path: closed once it has settled.
        if (bound === undefined) closeSync(fd);
        else void bound.catch(() => undefined).finally(() => closeSync(fd));
      };
      return { path: held, bind, release };
    },
    async close() {
      closed = true;
      await making;
      for (const name of [ready, taken]) if (name !== undefined) await del(name);
      ready = undefined;
      taken = undefined;
    },
  };
}
