import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parsePax, TarFormatError, TarReader, type TarHeader } from './tar-reader.ts';

const run = promisify(execFile);

function readAll(archive: Buffer, chunkSize: number): Array<{ header: TarHeader; data: Buffer }> {
  const reader = new TarReader();
  const out: Array<{ header: TarHeader; data: Buffer }> = [];
  let parts: Buffer[] = [];
  const handle = (events: ReturnType<TarReader['push']>) => {
    for (const e of events) {
      if (e.kind === 'entry') parts = [];
      if (e.kind === 'data') parts.push(Buffer.from(e.chunk));
      if (e.kind === 'entry-end') out.push({ header: lastHeader!, data: Buffer.concat(parts) });
      if (e.kind === 'entry') lastHeader = e.header;
    }
  };
  let lastHeader: TarHeader | undefined;
  for (let i = 0; i < archive.length; i += chunkSize) handle(reader.push(archive.subarray(i, i + chunkSize)));
  handle(reader.end());
  return out;
}

async function gnuTar(t: { after(fn: () => unknown): void }, format: string): Promise<{ archive: Buffer; long: string; content: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-tar-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const src = join(dir, 'src');
  const long = `${'n'.repeat(110)}/${'m'.repeat(90)}.img`;
  const content = Buffer.alloc(5000);
  for (let i = 0; i < content.length; i++) content[i] = (i * 7) & 0xff;
  await mkdir(join(src, 'disk'), { recursive: true });
  await mkdir(join(src, 'n'.repeat(110)), { recursive: true });
  await writeFile(join(src, 'disk', 'disk.img'), content);
  await writeFile(join(src, long), 'long\n');
  await writeFile(join(src, 'empty'), '');
  await symlink('disk/disk.img', join(src, 'link'));
  await run('tar', [`--format=${format}`, '-cf', join(dir, 'a.tar'), '-C', src, 'disk', long, 'empty', 'link']);
  return { archive: await readFile(join(dir, 'a.tar')), long, content };
}

for (const format of ['gnu', 'pax', 'ustar']) {
  test(`reads GNU tar's ${format} format whatever the chunk size`, async (t) => {
    const { archive, long, content } = await gnuTar(t, format);
    for (const size of [1, 511, 512, 4096, archive.length]) {
      const entries = readAll(archive, size);
      const byPath = new Map(entries.map((e) => [e.header.path, e]));
      assert.deepEqual(
        entries.map((e) => e.header.path),
        ['disk/', 'disk/disk.img', long, 'empty', 'link'],
        `chunk size ${size}`,
      );
      assert.equal(byPath.get('disk/')?.header.type, 'dir');
      assert.deepEqual(byPath.get('disk/disk.img')?.data, content);
      assert.equal(byPath.get(long)?.data.toString(), 'long\n');
      assert.equal(byPath.get('empty')?.data.length, 0);
      assert.equal(byPath.get('link')?.header.type, 'symlink');
      assert.equal(byPath.get('link')?.header.linkname, 'disk/disk.img');
    }
  });
}

test('refuses bytes that are not a tar header and a truncated archive', async (t) => {
  assert.throws(() => new TarReader().push(Buffer.alloc(512, 0x41)), TarFormatError);
  const { archive } = await gnuTar(t, 'ustar');
  const reader = new TarReader();
  reader.push(archive.subarray(0, 1500));
  assert.throws(() => reader.end(), /truncated/);
});

test('parses pax records, keys with spaces in values included', () => {
  const rec = (k: string, v: string) => {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    return `${len}${body}`;
  };
  const pax = parsePax(Buffer.from(rec('path', 'a b/c') + rec('size', '12')));
  assert.equal(pax.get('path'), 'a b/c');
  assert.equal(pax.get('size'), '12');
});
