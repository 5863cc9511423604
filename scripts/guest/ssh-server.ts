// What a test guest built with `sshServer: true` adds to its initramfs: Debian's dropbear
// (with the shared libraries it links, found by ldd), OpenSSH's scp for the remote end of
// `scp -O`, a host key and an authorized client key made once per guest name under
// build/guest/<name>/ssh/, and a page for busybox httpd. Other guests stay as they were.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NewcEntry } from './newc.ts';

const run = promisify(execFile);

export const DROPBEAR = '/usr/sbin/dropbear';
export const SCP = '/usr/bin/scp';
/** The page busybox httpd serves at / in the guest. */
export const httpPage = (name: string): string => `PXEVIRT-HTTP hello from ${name}\n`;

export interface GuestSshKeys {
  /** The client's private key (ssh -i), authorized for root in the guest. */
  privateKey: string;
  publicKey: string;
  /** The guest's host key in OpenSSH's public form (`ssh-ed25519 AAAA…`). */
  hostPublicKey: string;
}

/** Why the SSH server cannot be added here, or undefined. */
export function sshServerUnavailable(): string | undefined {
  if (!existsSync(DROPBEAR)) return `test guest: ${DROPBEAR} not found; install dropbear-bin`;
  if (!existsSync(SCP)) return `test guest: ${SCP} not found; install openssh-client`;
  return undefined;
}

/** Makes (once) the client key pair and the dropbear host key under `dir`. */
export async function ensureSshKeys(dir: string): Promise<GuestSshKeys & { hostKey: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const privateKey = join(dir, 'id_ed25519');
  const hostKey = join(dir, 'dropbear_ed25519_host_key');
  if (!existsSync(privateKey)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'pxevirt-test', '-f', privateKey]);
  if (!existsSync(hostKey)) await run('dropbearkey', ['-t', 'ed25519', '-f', hostKey]);
  const { stdout } = await run('dropbearkey', ['-y', '-f', hostKey]);
  const hostPublicKey = stdout.split('\n').find((l) => l.startsWith('ssh-ed25519 '))?.split(' ').slice(0, 2).join(' ') ?? '';
  return { privateKey, publicKey: `${privateKey}.pub`, hostKey, hostPublicKey };
}

/** The shared libraries (and the loader) a dynamically linked binary needs, from ldd. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  const libs: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

/** The initramfs entries (files only; `dir` makes parent directories). */
export async function sshServerEntries(name: string, keys: { publicKey: string; hostKey: string }, dir: (path: string) => void): Promise<NewcEntry[]> {
  const entries: NewcEntry[] = [];
  const libs = [...new Set([...(await sharedLibraries(DROPBEAR)), ...(await sharedLibraries(SCP))])].sort();
  for (const lib of libs) {
    const path = lib.replace(/^\//, '');
    dir(path.slice(0, path.lastIndexOf('/')));
    entries.push({ type: 'file', path, data: await readFile(lib), mode: 0o755 });
  }
  entries.push({ type: 'file', path: 'bin/dropbear', data: await readFile(DROPBEAR), mode: 0o755 });
  entries.push({ type: 'file', path: 'bin/scp', data: await readFile(SCP), mode: 0o755 });
  dir('etc/dropbear');
  entries.push({ type: 'file', path: 'etc/dropbear/dropbear_ed25519_host_key', data: await readFile(keys.hostKey), mode: 0o600 });
  dir('root');
  entries.push({ type: 'dir', path: 'root/.ssh', mode: 0o700 });
  entries.push({ type: 'file', path: 'root/.ssh/authorized_keys', data: await readFile(keys.publicKey), mode: 0o600 });
  dir('www');
  entries.push({ type: 'file', path: 'www/index.html', data: Buffer.from(httpPage(name)) });
  entries.push({ type: 'file', path: 'etc/shells', data: Buffer.from('/bin/sh\n') });
  return entries;
}

/** The /init lines that start the servers (after the network is up). */
export const sshServerInitLines = (): string =>
  [
    'dropbear -r /etc/dropbear/dropbear_ed25519_host_key -p 22 && echo "PXEVIRT-GUEST sshd up"',
    'httpd -p 80 -h /www && echo "PXEVIRT-GUEST httpd up"',
    '',
  ].join('\n');
