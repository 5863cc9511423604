import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confine, FileRefusedError, openConfined } from './files.ts';
import { holdDir, shownPath } from './held-dir.ts';

async function fixture(t: { after(fn: () => unknown): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-files-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  const ipxeDir = join(dir, 'ipxe');
  await mkdir(join(root, 'tiny'), { recursive: true });
  await mkdir(ipxeDir);
  await writeFile(join(root, 'tiny', 'vmlinuz'), 'kernel');
  await writeFile(join(ipxeDir, 'undionly.kpxe'), 'ipxe');
  await writeFile(join(dir, 'secret'), 'secret');
  await symlink(join(dir, 'secret'), join(root, 'leak'));
  await symlink('tiny/vmlinuz', join(root, 'alias'));
  await writeFile(join(dir, 'boot-ipxe.efi'), 'efi');
  await symlink(join(dir, 'boot-ipxe.efi'), join(ipxeDir, 'ipxe.efi')); // as Debian ships it
  return { root, ipxeDir };
}

test('opens files under the root and the virtual ipxe directory', async (t) => {
  const roots = await fixture(t);
  for (const [path, text] of [['tiny/vmlinuz', 'kernel'], ['./tiny//vmlinuz', 'kernel'], ['ipxe/undionly.kpxe', 'ipxe'], ['ipxe/ipxe.efi', 'efi']] as const) {
    const f = await openConfined(roots, path);
    assert.equal((await f.handle.readFile()).toString(), text, path);
    await f.handle.close();
  }
});

test('refuses traversal, absolute paths, final links (even inside the root) and directory links leading out', async (t) => {
  const roots = await fixture(t);
  await symlink(join(roots.root, '..'), join(roots.root, 'up'));
  for (const path of ['ipxe/../secret', '../secret', 'tiny/../../secret', '/etc/passwd', 'leak', 'alias', 'up/secret', 'tiny\\..\\x', 'a\0b']) {
    await assert.rejects(openConfined(roots, path), (err: unknown) => err instanceof FileRefusedError && err.code === 'denied', path);
  }
  await assert.rejects(openConfined(roots, 'missing'), (err: unknown) => err instanceof FileRefusedError && err.code === 'not-found');
  await assert.rejects(openConfined(roots, 'tiny'), (err: unknown) => err instanceof FileRefusedError && err.code === 'not-found');
});

test('confine names what it expected and found', () => {
  assert.throws(() => confine({ root: '/r', ipxeDir: '/i' }, '/etc/passwd'), /expected a path relative to the root, found an absolute path/);
});

test('a FIFO or a device in the root is refused without blocking', async (t) => {
  const roots = await fixture(t);
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [join(roots.root, 'fifo')]);
  await symlink('/dev/zero', join(roots.root, 'zero'));
  await assert.rejects(openConfined(roots, 'fifo'), /expected a regular file, found a FIFO/);
  await assert.rejects(openConfined(roots, 'zero'), /found a symbolic link/);
  await assert.rejects(openConfined({ ...roots, ipxeDir: '/dev' }, 'ipxe/zero'), /expected a regular file, found a device/);
});

test('a root held by descriptor serves the same files and refuses the same escapes', async (t) => {
  const roots = await fixture(t);
  await symlink(join(roots.root, '..'), join(roots.root, 'up'));
  const held = { ...roots, root: holdDir(roots.root) };
  assert.match(held.root, /^\/proc\/self\/fd\/\d+$/);
  const f = await openConfined(held, 'tiny/vmlinuz');
  assert.equal((await f.handle.readFile()).toString(), 'kernel');
  assert.equal(f.path, join(roots.root, 'tiny', 'vmlinuz'), 'the real path, for logs');
  await f.handle.close();
  for (const path of ['../secret', 'leak', 'alias', 'up/secret']) {
    await assert.rejects(openConfined(held, path), (err: unknown) => err instanceof FileRefusedError && err.code === 'denied', path);
  }
  assert.equal(shownPath(`${held.root}/leases.json`), join(roots.root, 'leases.json'));
});

test('the virtual arm64/ and signed/ directories name only their node files; other names there fall to the root', () => {
  const roots = { root: '/r', ipxeDir: '/i', arm64: { 'grubaa64.efi': '/n/arm64/grubaa64.efi' } };
  assert.deepEqual(confine(roots, 'arm64/grubaa64.efi'), ['/n/arm64', 'grubaa64.efi', true]);
  // GRUB's config is generated; a name that is an Object property is no node file either.
  assert.deepEqual(confine(roots, 'arm64/grub.cfg'), ['/r', 'arm64/grub.cfg', false]);
  assert.deepEqual(confine(roots, 'arm64/constructor'), ['/r', 'arm64/constructor', false]);
  assert.deepEqual(confine(roots, 'signed/__proto__'), ['/r', 'signed/__proto__', false]);
});
