// `pxe serve --user NAME` (by default `pxevirt-pxe` when started as root and that user exists):
// root binds ports 67, 69 and 4011, opens its raw ICMPv6 socket and reads its state, then
// becomes NAME for good. What it still touches afterwards must be open to NAME: the PXE root
// (read), the state dir (leases.json, install.json: written) and the log file's directory
// (rotation renames). They are held open by descriptor (src/pxe/held-dir.ts), so the
// directories above them need not be open to NAME. The state dir is pxevirt's own and is handed
// over; the root and the log's directory are the user's to open, and are checked before `ready`.
import { constants } from 'node:fs';
import { access, chown, lstat, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { shownPath } from '../pxe/held-dir.ts';
import { DEFAULT_PXE_USER, resolveRunAsUser, RunAsUserError, type RunAsUser } from '../runtime/run-as.ts';

/**
 * The user `pxe serve` becomes: `--user NAME`; `--user root` stays root; without `--user`,
 * DEFAULT_PXE_USER when started as root and that user exists, else no drop.
 */
export async function serveUser(name: string | undefined, asRoot: boolean, resolve = resolveRunAsUser): Promise<RunAsUser | undefined> {
  if (name === 'root') return undefined;
  if (name !== undefined) return resolve(name, '--user');
  if (!asRoot) return undefined;
  try {
    return await resolve(DEFAULT_PXE_USER, '--user');
  } catch (err) {
    if (err instanceof RunAsUserError && err.why === 'no such user') return undefined;
    throw err;
  }
}

/** Something the server needs after the drop is closed to the user. */
export class PrivilegeDropError extends Error {
  constructor(
    readonly user: string,
    readonly path: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`pxe serve --user ${user}: expected ${expected}, found ${found} at ${shownPath(path)} (--user root keeps root)`);
    this.name = 'PrivilegeDropError';
  }
}

/** Hands the state dir and everything in it (not following links) to the user. */
export async function handOver(dir: string, user: RunAsUser): Promise<void> {
  await chown(dir, user.uid, user.gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await handOver(path, user);
    else if (entry.isFile()) await chown(path, user.uid, user.gid);
  }
}

/** Gives up root for the user: supplementary groups, then the gid, then the uid (after it nothing can change). */
export function dropTo(user: RunAsUser): void {
  if (!process.setgroups || !process.setgid || !process.setuid) throw new PrivilegeDropError(user.name, '(process)', 'a POSIX platform', process.platform);
  process.setgroups([user.gid]);
  process.setgid(user.gid);
  process.setuid(user.uid);
  // glibc applies set*id to every thread (libuv's pool too); a way back would mean it did not.
  let regained = false;
  try {
    process.setuid!(0);
    regained = true;
  } catch {
    /* expected: EPERM */
  }
  if (regained || process.getuid?.() !== user.uid || process.geteuid?.() !== user.uid) throw new PrivilegeDropError(user.name, '(process)', `uid ${user.uid} for good`, `uid ${process.getuid?.()}, euid ${process.geteuid?.()}`);
}

/** Checks, as the user, what the server needs after the drop. */
export async function checkAfterDrop(user: RunAsUser, needs: { root: string; stateDir: string; logFile?: string }): Promise<void> {
  const can = (path: string, mode: number) => access(path, mode).then(() => undefined, (err: NodeJS.ErrnoException) => err.code ?? 'error');
  const root = await can(needs.root, constants.R_OK | constants.X_OK);
  if (root) throw new PrivilegeDropError(user.name, needs.root, `a root the user may read and search (its directories searchable and its files readable by the user, e.g. 0755 and 0644; the directories above it need not be)`, root);
  const state = await can(needs.stateDir, constants.W_OK | constants.X_OK);
  if (state) throw new PrivilegeDropError(user.name, needs.stateDir, 'a state dir the user may write', state);
  if (needs.logFile !== undefined) {
    const logDir = await can(dirname(needs.logFile), constants.W_OK | constants.X_OK);
    if (logDir) throw new PrivilegeDropError(user.name, dirname(needs.logFile), 'a log directory the user may write (the log rotates by renaming)', logDir);
  }
}

/** Hands the log file (and its rotated copy) to the user, so it can append and rotate it. */
export async function handOverLog(file: string, user: RunAsUser): Promise<void> {
  for (const path of [file, `${file}.1`]) {
    const stat = await lstat(path).catch(() => undefined);
    if (stat?.isFile()) await chown(path, user.uid, user.gid);
  }
}
