// The unprivileged user a child runs as (QEMU's `-runas`, `pxe serve`'s drop after binding):
// a name resolved once, through NSS (`getent passwd`), to its uid and gid.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A resolved user: what `-runas`, chown and setuid need. */
export interface RunAsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The dedicated system users scripts/setup-debian.sh creates. */
export const DEFAULT_QEMU_USER = 'pxevirt-qemu';
export const DEFAULT_PXE_USER = 'pxevirt-pxe';

/** The user named in a setting does not exist on this host, or is root. */
export class RunAsUserError extends Error {
  constructor(
    readonly setting: string,
    readonly found: string,
    readonly why: string,
  ) {
    super(`${setting}: expected an existing user other than root (create it with scripts/setup-debian.sh or \`useradd --system ${found}\`), found ${JSON.stringify(found)}: ${why}`);
    this.name = 'RunAsUserError';
  }
}

const NAME = /^[a-z_][a-z0-9_-]{0,31}\$?$/;

/** Parses one `getent passwd` line into a user; undefined when it is not one. */
export function parsePasswdLine(line: string): RunAsUser | undefined {
  const [name, , uid, gid] = line.trim().split(':');
  if (name === undefined || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) return undefined;
  return { name, uid: Number(uid), gid: Number(gid) };
}

/** Resolves `name` to its uid and gid; `setting` names the option in errors. Root is refused. */
export async function resolveRunAsUser(name: string, setting: string): Promise<RunAsUser> {
  if (!NAME.test(name)) throw new RunAsUserError(setting, name, 'not a user name');
  let out: string;
  try {
    out = (await run('getent', ['passwd', name])).stdout;
  } catch {
    throw new RunAsUserError(setting, name, 'no such user');
  }
  const user = parsePasswdLine(out.split('\n')[0] ?? '');
  if (!user) throw new RunAsUserError(setting, name, `getent passwd said ${JSON.stringify(out.trim())}`);
  if (user.uid === 0 || user.gid === 0) throw new RunAsUserError(setting, name, 'its uid or gid is 0 (root gains nothing)');
  return user;
}
