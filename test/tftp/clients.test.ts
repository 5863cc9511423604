// pxevirt's TFTP server against real clients (atftp, curl) on loopback: byte-identical
// files of awkward sizes, negotiated options, a file past block-number rollover, and
// refusals of traversal and writes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { memoryLogger, type MemoryRecord } from '../../src/lib/logger.ts';
import { createPxeMetrics } from '../../src/pxe/metrics.ts';
import { startTftp, type TftpServer } from '../../src/pxe/tftp/server.ts';
import { Timeline } from '../../src/pxe/timeline.ts';
import { Transfers } from '../../src/pxe/transfers.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client; never throws on a non-zero exit (refusals are expected to fail). */
const run = (cmd: string, args: string[], cwd?: string): Promise<Run> =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: 180_000, maxBuffer: 1 << 20, ...(cwd ? { cwd } : {}) }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });

const which = async (cmd: string) => (await run('sh', ['-c', `command -v ${cmd}`])).code === 0;
const missing = [...(await Promise.all(['atftp', 'curl'].map(async (c) => ((await which(c)) ? undefined : c))))].filter(Boolean);
const skip = missing.length ? `needs ${missing.join(' and ')} (Debian packages atftp, curl)` : false;

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes `size` pseudo-random bytes (AES-CTR keystream) in 1 MiB chunks; returns their sha256. */
async function writePattern(path: string, size: number): Promise<string> {
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(1 << 20);
  const file = await open(path, 'w');
  try {
    for (let left = size; left > 0; left -= zeros.length) {
      const chunk = cipher.update(zeros.subarray(0, Math.min(left, zeros.length)));
      hash.update(chunk);
      await file.write(chunk);
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

const SIZES = { 'empty.bin': 0, 'one.bin': 1, 'b511.bin': 511, 'b512.bin': 512, 'b513.bin': 513, 'mb3.bin': 3 * 1024 * 1024 + 17 } as const;
const HUGE = 'huge.bin';
const HUGE_SIZE = 105 * 1024 * 1024 + 333; // > 65535 × 512: crosses rollover three times

describe('TFTP with real clients', { skip }, () => {
  let dir: string;
  let root: string;
  let out: string;
  const sums = new Map<string, string>();
  const records: MemoryRecord[] = [];
  let plain: TftpServer;
  let clamped: TftpServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pxevirt-tftp-clients-'));
    root = join(dir, 'root');
    out = join(dir, 'out');
    await Promise.all([root, out].map((d) => mkdir(d)));
    for (const [name, size] of Object.entries(SIZES)) {
      const bytes = randomBytes(size);
      await writeFile(join(root, name), bytes);
      sums.set(name, createHash('sha256').update(bytes).digest('hex'));
    }
    await symlink('/etc/passwd', join(root, 'leak'));
    const common = () => {
      const log = memoryLogger(records);
      return { roots: { root, ipxeDir: root }, address: '127.0.0.1', port: 0, log, timeline: new Timeline(log), metrics: createPxeMetrics(), transfers: new Transfers() };
    };
    plain = await startTftp(common());
    clamped = await startTftp({ ...common(), maxBlksize: 1468 });
  });

  after(async () => {
    await plain?.close();
    await clamped?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const outFile = (label: string) => join(out, `${label}-${randomBytes(4).toString('hex')}`);

  async function expectIdentical(label: string, name: string, get: (local: string) => Promise<Run>) {
    const local = outFile(label);
    const result = await get(local);
    assert.equal(result.code, 0, `${label} ${name}: expected exit 0, found ${result.code}: ${result.stderr}`);
    assert.equal(await sha256(local), sums.get(name), `${label} ${name}: expected a byte-identical file`);
    await rm(local);
  }

  const atftp = (port: number, name: string, local: string, options: string[] = []) =>
    run('atftp', ['--get', '-r', name, '-l', local, ...options.flatMap((o) => ['--option', o]), '127.0.0.1', String(port)]);
  const curl = (port: number, name: string, local: string, args: string[] = []) => run('curl', ['-sS', ...args, `tftp://127.0.0.1:${port}/${name}`, '-o', local]);

  test('atftp gets byte-identical files with the default 512-byte blocks', async () => {
    for (const name of Object.keys(SIZES)) await expectIdentical('atftp', name, (local) => atftp(plain.port, name, local));
  });

  test('atftp gets byte-identical files with blksize 1468, tsize and windowsize 16', async () => {
    for (const name of Object.keys(SIZES)) {
      await expectIdentical('atftp-opts', name, (local) => atftp(clamped.port, name, local, ['blksize 1468', 'tsize 0', 'windowsize 16']));
    }
  });

  test('a blksize above the path limit is clamped in the OACK and the file still arrives intact', async () => {
    await expectIdentical('atftp-8192', 'mb3.bin', (local) => atftp(clamped.port, 'mb3.bin', local, ['blksize 8192', 'windowsize 16']));
    const oack = records.findLast((r) => r.event === 'oack' && r.file === 'mb3.bin');
    assert.equal(oack?.blksize, 1468);
    assert.equal(oack?.windowsize, 16);
  });

  test('curl gets byte-identical files, with default blocks and with --tftp-blksize 1468', async () => {
    for (const name of Object.keys(SIZES)) {
      await expectIdentical('curl', name, (local) => curl(plain.port, name, local));
      await expectIdentical('curl-1468', name, (local) => curl(clamped.port, name, local, ['--tftp-blksize', '1468']));
    }
  });

  test('a file over 100 MB crosses block-number rollover at 512-byte blocks and arrives byte-identical', async () => {
    sums.set(HUGE, await writePattern(join(root, HUGE), HUGE_SIZE));
    assert.ok(HUGE_SIZE / 512 > 3 * 65536, 'the file needs block numbers past 65535');
    await expectIdentical('atftp-huge', HUGE, (local) => atftp(plain.port, HUGE, local));
    await expectIdentical('curl-huge', HUGE, (local) => curl(plain.port, HUGE, local, ['--tftp-blksize', '512']));
    const done = records.filter((r) => r.event === 'done' && r.file === HUGE);
    assert.deepEqual(done.map((r) => [r.bytes, r.blksize]), [[HUGE_SIZE, 512], [HUGE_SIZE, 512]]);
  });

  test('traversal and a link out of the root are refused, an absolute path is looked up under the root; the client gets nothing', async () => {
    // A leading "/" names a file under the root (GRUB sends names so): /etc/passwd is not found there.
    const attempts = ['../etc/passwd', '/etc/passwd', 'a/../../x', 'leak'];
    for (const name of attempts) {
      const curlCode = name.startsWith('/') ? 68 : 69;
      const local = outFile('refused');
      const a = await atftp(plain.port, name, local);
      assert.notEqual(a.code, 0, `atftp ${name}: expected a failure`);
      assert.match(a.stderr, /access violation|not found/, `atftp ${name}: expected the server's error, found ${a.stderr}`);
      assert.equal((await stat(local).catch(() => undefined))?.size ?? 0, 0, `atftp ${name}: expected no content`);
      // curl would normalise the dot segments away; send the path as is (a leading "//" keeps the "/").
      const c = await curl(plain.port, name.startsWith('/') ? `/${name}` : name, local + '-curl', ['--path-as-is']);
      assert.equal(c.code, curlCode, `curl ${name}: expected exit ${curlCode} (68 TFTP not found, 69 access violation), found ${c.code}: ${c.stderr}`);
      assert.equal((await stat(local + '-curl').catch(() => undefined))?.size ?? 0, 0, `curl ${name}: expected no content`);
      await rm(local, { force: true });
      await rm(local + '-curl', { force: true });
    }
    const refused = records.filter((r) => r.event === 'refused').map((r) => r.file);
    for (const name of attempts) assert.ok(refused.includes(name.replace(/^\/+/, '')), `expected ${name} recorded as refused`);
  });

  test('atftp --put is refused as the server is read-only, and nothing is written', async () => {
    const local = join(out, 'upload.txt');
    await writeFile(local, 'should never arrive\n');
    const before = await readdir(root);
    const put = await run('atftp', ['--put', '-r', 'upload.txt', '-l', local, '127.0.0.1', String(plain.port)]);
    assert.notEqual(put.code, 0);
    assert.match(put.stderr, /read-only; write requests \(WRQ\) are refused/);
    assert.deepEqual(await readdir(root), before);
  });
});
