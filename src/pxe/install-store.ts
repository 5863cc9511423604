// The install state of `pxe serve`, kept in <state-dir>/install.json: loaded at start, written
// after every change with a durable write (temp file, fsync, rename, fsync of the directory),
// mode 0600 (it holds live done tokens). The rules are install-state.ts's; this file adds
// the clock, the token source and the disk.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/logger.ts';
import {
  beginInstall,
  bootDecision,
  completeInstall,
  currentToken,
  DEFAULT_INSTALL_LIMITS,
  emptyInstallState,
  hostList,
  noteLocalBoot,
  parseInstallState,
  prune,
  reprovision,
  type DoneResult,
  type HostInstall,
  type InstallLimits,
  type InstallState,
} from './install-state.ts';

export const INSTALL_FILE = 'install.json';

export interface InstallStoreOptions {
  log: Logger;
  now?: () => number;
  limits?: InstallLimits;
  /** A fresh unguessable token (default: 32 random bytes, base64url). */
  token?: () => string;
}

/** Install state with its file: every change is written before the call resolves. */
export class InstallStore {
  #state: InstallState;
  readonly #file: string;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #limits: InstallLimits;
  readonly #token: () => string;
  #writing: Promise<void> = Promise.resolve();
  /** A write is queued and has not started: it will write the latest state, so no other is queued. */
  #queued = false;

  private constructor(file: string, state: InstallState, o: InstallStoreOptions) {
    this.#file = file;
    this.#state = state;
    this.#log = o.log;
    this.#now = o.now ?? Date.now;
    this.#limits = o.limits ?? DEFAULT_INSTALL_LIMITS;
    this.#token = o.token ?? (() => randomBytes(32).toString('base64url'));
  }

  /** Loads <stateDir>/install.json; a missing file is an empty state, an unreadable one is logged and replaced. */
  static async open(stateDir: string, o: InstallStoreOptions): Promise<InstallStore> {
    const file = join(stateDir, INSTALL_FILE);
    let state = emptyInstallState();
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      return undefined;
    });
    if (text !== undefined) {
      try {
        state = parseInstallState(JSON.parse(text));
      } catch (err) {
        o.log.warn({ file, err: (err as Error).message }, `expected JSON install state in ${file}, found unreadable content; starting with no install state`);
      }
    }
    return new InstallStore(file, prune(state, (o.now ?? Date.now)(), o.limits), o);
  }

  /** `local` when the host is `once` and Provisioned, else `install`. */
  decide(mac: string, once: boolean): 'install' | 'local' {
    return bootDecision(this.#state, mac, once);
  }

  // Changes apply at once (so a second request sees them) and are written in order;
  // flush() resolves when they are on disk and is awaited before a request is answered.

  /** Starts an install boot and returns its new done token. */
  begin(mac: string, image: string): string {
    const token = this.#token();
    this.#set(beginInstall(this.#state, { mac, image, token }, this.#now(), this.#limits));
    return token;
  }

  /** Notes a local-boot answer. */
  localBoot(mac: string): void {
    this.#set(noteLocalBoot(this.#state, mac, this.#now()));
  }

  /** Marks the token's host Provisioned, or says why not (no change then). */
  complete(token: string): DoneResult {
    const result = completeInstall(this.#state, token, this.#now());
    if (result.ok) this.#set(result.state);
    return result;
  }

  /** Sends a host back to install (only if provisioned before `provisionedBefore`, when given). */
  reprovision(mac: string, provisionedBefore?: string): boolean {
    const { state, changed } = reprovision(this.#state, mac, provisionedBefore);
    if (changed) this.#set(state);
    return changed;
  }

  /** The newest live token of a host. */
  currentToken(mac: string): string | undefined {
    return currentToken(this.#state, mac, this.#now())?.token;
  }

  /** Hosts for /status, most recently changed first. */
  hosts(): HostInstall[] {
    return hostList(this.#state);
  }

  /** Resolves when every change so far is on disk; rejects when the last write failed. */
  flush(): Promise<void> {
    return this.#writing;
  }

  #set(state: InstallState): void {
    this.#state = state;
    // One write at a time, with the state at its turn; changes while one waits share it, so a
    // flood of boot requests costs at most one write in progress and one queued.
    if (this.#queued) return;
    this.#queued = true;
    this.#writing = this.#writing
      .catch(() => undefined)
      .then(() => {
        this.#queued = false;
        return this.#write();
      });
    this.#writing.catch((err: unknown) => this.#log.error({ file: this.#file, err: (err as Error).message }, 'writing the install state failed'));
  }

  async #write(): Promise<void> {
    const tmp = `${this.#file}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.chmod(0o600); // whatever the umask, and over an older file's mode
      await fh.writeFile(`${JSON.stringify(this.#state)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.#file);
    const dir = await open(join(this.#file, '..'), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
