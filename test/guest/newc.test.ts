// The newc writer's output is read back by GNU cpio, the reference reader.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { encodeNewc, NewcEntryError } from '../../scripts/guest/newc.ts';

function cpio(args: string[], input: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('cpio', args, (err, stdout, stderr) => (err ? reject(new Error(`cpio ${args.join(' ')}: ${stderr}`)) : resolve(stdout)));
    child.stdin?.end(input);
  });
}

const cpioMissing = await new Promise<string | undefined>((resolve) => execFile('cpio', ['--version'], (err) => resolve(err ? 'needs GNU cpio' : undefined)));

test('GNU cpio lists every member with its type, mode, size, link target and device numbers', { skip: cpioMissing }, async () => {
  const archive = encodeNewc([
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/tool', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
    { type: 'file', path: 'odd', data: Buffer.from('abc') }, // 3 bytes: exercises the padding
    { type: 'symlink', path: 'bin/sh', target: 'tool' },
    { type: 'dir', path: 'dev' },
    { type: 'char', path: 'dev/console', major: 5, minor: 1 },
  ]);
  assert.equal(archive.length % 4, 0);
  const lines = (await cpio(['-itv', '--quiet'], archive)).trim().split('\n');
  assert.equal(lines.length, 6);
  assert.match(lines[0] ?? '', /^drwxr-xr-x .* bin$/);
  assert.match(lines[1] ?? '', /^-rwxr-xr-x .* 18 .* bin\/tool$/);
  assert.match(lines[2] ?? '', /^-rw-r--r-- .* 3 .* odd$/);
  assert.match(lines[3] ?? '', /^lrwxrwxrwx .* bin\/sh -> tool$/);
  assert.match(lines[5] ?? '', /^crw------- .* 5, +1 .* dev\/console$/);
});

test('a file read back through cpio has the bytes that went in', { skip: cpioMissing }, async () => {
  const data = Buffer.from(Array.from({ length: 1001 }, (_, i) => i % 251));
  const archive = encodeNewc([{ type: 'file', path: 'data.bin', data }]);
  const out = await new Promise<Buffer>((resolve, reject) => {
    const child = execFile('cpio', ['-i', '--to-stdout', '--quiet', 'data.bin'], { encoding: 'buffer' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    child.stdin?.end(archive);
  });
  assert.deepEqual(out, data);
});

test('refuses an absolute member path, naming it', () => {
  assert.throws(() => encodeNewc([{ type: 'dir', path: '/etc' }]), (err: unknown) => err instanceof NewcEntryError && err.path === '/etc');
});
