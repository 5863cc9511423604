// `pxevirt ssh [USER@]vmi/NAME[.NS]` and `pxevirt scp SRC DST` (virtctl ssh/scp --local-ssh):
// the system's OpenSSH client, its connection carried by `pxevirt port-forward --stdio` as
// the ProxyCommand. The host key is kept as `vmi/NAME.NS` (HostKeyAlias; scp's host is
// `vmi.NAME.NS`, since scp reads a slash as a local path), one known_hosts entry per VMI (in
// --known-hosts, default ~/.ssh/kubevirt_known_hosts, as virtctl).
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseTarget, type GuestTarget } from './port-forward.ts';

export interface SshOptions {
  identityFile?: string;
  username?: string;
  port?: number;
  knownHosts?: string;
  /** Extra options handed to ssh/scp as they are (virtctl's --local-ssh-opts). */
  localSshOpts?: readonly string[];
  /** pxevirt's global flags the ProxyCommand repeats. */
  namespace?: string;
  kubeconfig?: string;
}

/** virtctl's default known-hosts file. */
export const defaultKnownHosts = (): string => join(homedir(), '.ssh', 'kubevirt_known_hosts');

/** Quotes a word for the shell ssh runs its ProxyCommand in. */
export const shellQuote = (w: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/** `[USER@]TARGET`: the user (if any) and the VMI or VM. */
export function parseUserTarget(text: string): { user?: string; target: GuestTarget } {
  const at = text.lastIndexOf('@');
  const user = at < 0 ? undefined : text.slice(0, at);
  if (user === '') throw new Error(`expected USER@TYPE/NAME, found an empty user in ${JSON.stringify(text)}`);
  return { ...(user !== undefined ? { user } : {}), target: parseTarget(at < 0 ? text : text.slice(at + 1)) };
}

/** The host name ssh is given: `vmi/NAME.NAMESPACE`. */
export const sshHost = (target: GuestTarget, namespace: string): string => `${target.kind}/${target.name}.${target.namespace ?? namespace}`;

/** The options every ssh/scp call gets: ProxyCommand through `self port-forward --stdio`, known hosts, identity. */
export function commonSshArgs(self: readonly string[], target: GuestTarget, namespace: string, o: SshOptions): string[] {
  const proxy = [...self, 'port-forward', '--stdio', sshHost(target, namespace), String(o.port ?? 22), ...(o.kubeconfig ? ['--kubeconfig', o.kubeconfig] : [])];
  return [
    '-o',
    `ProxyCommand=${proxy.map(shellQuote).join(' ')}`,
    '-o',
    `UserKnownHostsFile=${o.knownHosts ?? defaultKnownHosts()}`,
    // scp cannot take a host with a slash; the alias keeps one known_hosts entry for ssh and scp.
    '-o',
    `HostKeyAlias=${sshHost(target, namespace)}`,
    ...(o.identityFile ? ['-i', o.identityFile] : []),
    ...(o.localSshOpts ?? []),
  ];
}

/** ssh's argv for `pxevirt ssh` (pure). */
export function sshArgv(self: readonly string[], destination: string, namespace: string, o: SshOptions & { command?: string }): string[] {
  const { user, target } = parseUserTarget(destination);
  const login = user ?? o.username;
  const host = sshHost(target, namespace);
  // `--` before the host: nothing after it (the command) is read as ssh's options.
  return [...commonSshArgs(self, target, namespace, o), ...(login ? ['-l', login] : []), '--', host, ...(o.command !== undefined ? [o.command] : [])];
}

/** A `[USER@]TYPE/NAME[.NS]:PATH` operand of scp, or a local path. */
export function parseScpOperand(text: string): { remote?: { user?: string; target: GuestTarget; path: string }; local?: string } {
  const m = /^((?:[^@/:]+@)?(?:vmis?|vms?|virtualmachines?|virtualmachineinstances?)\/[^:]+):(.*)$/i.exec(text);
  if (!m) return { local: text };
  const { user, target } = parseUserTarget(m[1] ?? '');
  return { remote: { ...(user !== undefined ? { user } : {}), target, path: m[2] ?? '' } };
}

/** scp's argv for `pxevirt scp SRC DST` (pure): exactly one side names a VMI or VM. */
export function scpArgv(self: readonly string[], source: string, destination: string, namespace: string, o: SshOptions & { recursive?: boolean; preserve?: boolean }): string[] {
  const src = parseScpOperand(source);
  const dst = parseScpOperand(destination);
  const remote = src.remote ?? dst.remote;
  if (!remote || (src.remote && dst.remote)) {
    throw new Error(`expected exactly one of SOURCE and DESTINATION as [USER@]vmi/NAME:PATH (or vm/NAME:PATH), found ${JSON.stringify(source)} and ${JSON.stringify(destination)}`);
  }
  const login = remote.user ?? o.username;
  const spec = `${login ? `${login}@` : ''}${sshHost(remote.target, namespace).replace('/', '.')}:${remote.path}`;
  return [
    ...commonSshArgs(self, remote.target, namespace, o),
    ...(o.recursive ? ['-r'] : []),
    ...(o.preserve ? ['-p'] : []),
    '--',
    src.remote ? spec : (src.local ?? ''),
    dst.remote ? spec : (dst.local ?? ''),
  ];
}

/** Runs ssh or scp on the terminal; resolves with its exit code (a missing client is an error). */
export function runClient(command: 'ssh' | 'scp', argv: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: 'inherit' });
    child.once('error', (err) => reject(new Error(`cannot run ${command} (install openssh-client): ${err.message}`, { cause: err })));
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
  });
}
