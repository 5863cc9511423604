// The PXE HTTP server on 127.0.0.1, port 0, with a temporary root, exercised with real curl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger, silentLogger, type Logger } from '../../src/lib/logger.ts';
import { validatePxeServerSpec, type PxeServerSpec } from '../../src/resources/pxe-server.ts';
import { createPxeMetrics } from '../../src/pxe/metrics.ts';
import { Timeline } from '../../src/pxe/timeline.ts';
import { Transfers } from '../../src/pxe/transfers.ts';
import { startHttp, type HttpBootServer, type HttpLimits } from '../../src/pxe/http/server.ts';
import { connect, type Socket } from 'node:net';
import { InstallStore } from '../../src/pxe/install-store.ts';

interface CurlResult {
  code: number;
  body: Buffer;
  headers: string;
  stderr: string;
}

let curlCount = 0;

/** Runs curl; returns the status code, body and response headers (curl -D to a pipe crashes, so a file). */
async function curl(args: string[]): Promise<CurlResult> {
  const headerFile = join(dir, `headers-${++curlCount}.txt`);
  const result = await new Promise<{ stdout: Buffer; stderr: string }>((resolve, reject) => {
    execFile(
      'curl',
      ['-sS', '--max-time', '20', '-D', headerFile, '-w', '\n%{http_code}', ...args],
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`curl ${args.join(' ')} failed (${err.code ?? err.signal}): ${stderr.toString()}`));
        resolve({ stdout, stderr: stderr.toString() });
      },
    );
  });
  const headers = await readFile(headerFile, 'utf8').catch(() => '');
  const cut = result.stdout.lastIndexOf(0x0a);
  return { code: Number(result.stdout.subarray(cut + 1).toString()), body: result.stdout.subarray(0, cut), headers, stderr: result.stderr };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Running {
  server: HttpBootServer;
  url: string;
  timeline: Timeline;
  transfers: Transfers;
}

let dir: string;
let kernel: Buffer;
let initrd: Buffer;
let ipxeEfi: Buffer;
const running: Running[] = [];

async function start(extra: Record<string, unknown> = {}, log: Logger = silentLogger, limits?: Partial<HttpLimits>): Promise<Running> {
  const { value, causes } = validatePxeServerSpec({
    interface: 'br-test',
    address: '192.168.100.1/24',
    dhcp: { mode: 'off' },
    root: join(dir, 'root'),
    ipxeDir: join(dir, 'ipxe'),
    images: [
      { name: 'tiny-linux', kernel: 'tiny/vmlinuz', initrd: ['tiny/initrd.gz'], cmdline: 'console=ttyS0' },
      { name: 'installer', kernel: 'inst/vmlinuz', initrd: ['inst/initrd.img'], cmdline: 'auto=true' },
      { name: 'remote', kernel: 'http://mirror.test/vmlinuz', initrd: [], cmdline: '' },
    ],
    hosts: [{ selector: { mac: 'de:00:00:00:00:de' }, image: 'installer' }],
    menu: { timeoutSeconds: 5 },
    ...extra,
  });
  assert.deepEqual(causes, []);
  const timeline = new Timeline(log);
  const transfers = new Transfers();
  const server = await startHttp({
    spec: value as PxeServerSpec,
    address: '127.0.0.1',
    port: 0,
    log: silentLogger,
    timeline,
    metrics: createPxeMetrics(),
    transfers,
    status: () => ({ leases: [{ mac: 'de:00:00:00:00:de', address: '192.168.100.100' }] }),
    install: await InstallStore.open(await mkdtemp(join(dir, 'state-')), { log: silentLogger }),
    ...(limits ? { limits } : {}),
  });
  const r = { server, url: `http://127.0.0.1:${server.port}`, timeline, transfers };
  running.push(r);
  return r;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pxevirt-http-'));
  await mkdir(join(dir, 'root/tiny'), { recursive: true });
  await mkdir(join(dir, 'root/inst'), { recursive: true });
  await mkdir(join(dir, 'ipxe'));
  await mkdir(join(dir, 'outside'));
  kernel = randomBytes(6 * 1024 * 1024 + 123);
  initrd = randomBytes(4096);
  ipxeEfi = randomBytes(20_000);
  await writeFile(join(dir, 'root/tiny/vmlinuz'), kernel);
  await writeFile(join(dir, 'root/tiny/initrd.gz'), initrd);
  await writeFile(join(dir, 'root/inst/vmlinuz'), 'installer kernel');
  await writeFile(join(dir, 'root/inst/initrd.img'), 'installer initrd');
  await writeFile(join(dir, 'ipxe/ipxe.efi'), ipxeEfi);
  await writeFile(join(dir, 'outside/secret.txt'), 'TOP SECRET');
  await symlink(join(dir, 'outside/secret.txt'), join(dir, 'root/escape'));
});

after(async () => {
  for (const r of running) await r.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('files', () => {
  let s: Running;
  before(async () => {
    s = await start();
  });

  test('serves a large file byte for byte with its length', async () => {
    const got = await curl([`${s.url}/files/tiny/vmlinuz`]);
    assert.equal(got.code, 200);
    assert.match(got.headers, new RegExp(`content-length: ${kernel.length}\\r`, 'i'));
    assert.equal(got.body.length, kernel.length);
    assert.equal(sha(got.body), sha(kernel));
    assert.deepEqual(s.transfers.snapshot(), [], 'the finished transfer is no longer listed');
  });

  test('answers a single range with 206 and exactly those bytes', async () => {
    const got = await curl(['-r', '100-199', `${s.url}/files/tiny/vmlinuz`]);
    assert.equal(got.code, 206);
    assert.match(got.headers, new RegExp(`content-range: bytes 100-199/${kernel.length}`, 'i'));
    assert.deepEqual(got.body, kernel.subarray(100, 200));
  });

  test('answers several ranges with the whole file and an impossible one with 416', async () => {
    const multi = await curl(['-r', '0-9,100-109', `${s.url}/files/tiny/initrd.gz`]);
    assert.equal(multi.code, 200);
    assert.deepEqual(multi.body, initrd);
    const beyond = await curl(['-r', '999999999-', `${s.url}/files/tiny/initrd.gz`]);
    assert.equal(beyond.code, 416);
    assert.match(beyond.headers, /content-range: bytes \*\/4096/i);
  });

  test('answers HEAD with the length and no body', async () => {
    const got = await curl(['-I', `${s.url}/files/tiny/vmlinuz`]);
    assert.equal(got.code, 200);
    assert.match(got.headers, new RegExp(`content-length: ${kernel.length}\\r`, 'i'));
    assert.match(got.headers, /accept-ranges: bytes/i);
  });

  test('reuses one connection for two files (keep-alive)', async () => {
    const got = await curl(['-v', '-o', '/dev/null', '-o', '/dev/null', `${s.url}/files/tiny/initrd.gz`, `${s.url}/files/inst/vmlinuz`]);
    assert.match(got.stderr, /Re-using existing connection/);
  });

  test('serves iPXE binaries from ipxeDir under /ipxe/', async () => {
    const got = await curl([`${s.url}/ipxe/ipxe.efi`]);
    assert.equal(got.code, 200);
    assert.equal(sha(got.body), sha(ipxeEfi));
    assert.equal((await curl([`${s.url}/ipxe/undionly.kpxe`])).code, 404);
  });

  for (const [what, path, code] of [
    ['a literal ..', '/files/../outside/secret.txt', 403],
    ['an encoded ..', '/files/%2e%2e/outside/secret.txt', 403],
    ['an encoded slash and ..', '/files/tiny%2f..%2f..%2foutside%2fsecret.txt', 403],
    ['a symlink leading out of the root', '/files/escape', 403],
    ['.. into ipxe/', '/ipxe/..%2f..%2foutside%2fsecret.txt', 404],
    ['a subfolder of ipxe/', '/ipxe/../outside/secret.txt', 404],
  ] as const) {
    test(`refuses ${what} and reads nothing outside the root`, async () => {
      const got = await curl(['--path-as-is', `${s.url}${path}`]);
      assert.equal(got.code, code);
      assert.doesNotMatch(got.body.toString(), /TOP SECRET/);
    });
  }

  test('answers unknown paths with 404 naming them and other methods with 405', async () => {
    const missing = await curl([`${s.url}/nope/here`]);
    assert.equal(missing.code, 404);
    assert.equal(missing.body.toString(), 'not found: /nope/here\n');
    const missingFile = await curl([`${s.url}/files/tiny/nothing`]);
    assert.equal(missingFile.code, 404);
    const post = await curl(['-X', 'POST', `${s.url}/boot.ipxe`]);
    assert.equal(post.code, 405);
    assert.match(post.headers, /allow: GET, HEAD/i);
  });
});

describe('scripts', () => {
  let s: Running;
  let withDefault: Running;
  before(async () => {
    s = await start();
    withDefault = await start({ defaultImage: 'tiny-linux' });
  });

  test('gives a host the image its MAC selects, naming the initrd on the kernel line', async () => {
    const got = await curl([`${s.url}/boot.ipxe?mac=DE-00-00-00-00-DE&arch=efi-x64`]);
    assert.equal(got.code, 200);
    assert.match(got.headers, /content-type: text\/plain/i);
    const base = s.server.publicBase;
    // Scripts name the address this HTTP server listens on (one server per address family: IPv4 and IPv6 clients each get theirs).
    assert.equal(base, `http://127.0.0.1:${s.server.port}`);
    const text = got.body.toString();
    assert.ok(text.startsWith('#!ipxe\n'));
    assert.match(text, new RegExp(`^kernel ${base}/files/inst/vmlinuz initrd=initrd.img auto=true$`, 'm'));
    assert.match(text, new RegExp(`^initrd ${base}/files/inst/initrd.img$`, 'm'));
    assert.match(text, /^boot$/m);
  });

  test('offers the menu to an unknown MAC when there is no default image', async () => {
    const text = (await curl([`${s.url}/boot.ipxe?mac=02-00-00-00-00-09`])).body.toString();
    assert.match(text, /^menu /m);
    assert.match(text, /^choose --timeout 5000 --default image-tiny-linux target/m);
    assert.match(text, /^item image-remote remote$/m);
  });

  test('gives an unknown MAC the default image when there is one', async () => {
    const text = (await curl([`${withDefault.url}/boot.ipxe?mac=02:00:00:00:00:09`])).body.toString();
    assert.match(text, new RegExp(`^kernel ${withDefault.server.publicBase}/files/tiny/vmlinuz initrd=initrd.gz console=ttyS0$`, 'm'));
  });

  test('asks iPXE for its MAC when the query has none', async () => {
    const text = (await curl([`${s.url}/boot.ipxe`])).body.toString();
    assert.equal(text, `#!ipxe\nchain ${s.server.publicBase}/boot.ipxe?mac=\${mac:hexhyp}&uuid=\${uuid}&hostname=\${hostname}&platform=\${platform}&buildarch=\${buildarch}\n`);
    const empty = (await curl([`${s.url}/boot.ipxe?mac=&platform=efi`])).body.toString();
    assert.match(empty, /^echo pxevirt: nothing to boot: expected mac=/m, 'an empty MAC does not chain again');
    assert.match(empty, /^exit$/m);
  });

  test('serves the menu, one image by name, and 404 for an unknown image', async () => {
    const menu = await curl([`${withDefault.url}/menu.ipxe`]);
    assert.match(menu.body.toString(), /--default image-tiny-linux /);
    const remote = await curl([`${s.url}/image/remote.ipxe?mac=de-00-00-00-00-01`]);
    assert.match(remote.body.toString(), /^kernel http:\/\/mirror\.test\/vmlinuz$/m);
    const unknown = await curl([`${s.url}/image/nope.ipxe`]);
    assert.equal(unknown.code, 404);
    assert.equal(unknown.body.toString(), 'no image named "nope"; expected one of: tiny-linux, installer, remote\n');
  });

  test('shows the host timeline in /status, attributing later downloads to its MAC', async () => {
    const fresh = await start();
    await curl([`${fresh.url}/boot.ipxe?mac=de-00-00-00-00-de&platform=efi&buildarch=x86_64`]);
    await curl([`${fresh.url}/files/inst/vmlinuz`]);
    const got = await curl([`${fresh.url}/status`]);
    assert.equal(got.code, 200);
    assert.match(got.headers, /content-type: application\/json/i);
    const status = JSON.parse(got.body.toString()) as {
      server: Record<string, unknown>;
      transfers: unknown[];
      timelines: Record<string, Array<Record<string, unknown>>>;
      leases: unknown[];
    };
    assert.deepEqual(status.server, { interface: 'br-test', address: '192.168.100.1/24', dhcpMode: 'off' });
    assert.equal(status.leases.length, 1);
    const events = status.timelines['de:00:00:00:00:de'] ?? [];
    assert.deepEqual(
      events.map((e) => [e.proto, e.event]),
      [
        ['http', 'script'],
        ['http', 'get'],
        ['http', 'done'],
      ],
    );
    assert.equal(events[0]?.image, 'installer');
    assert.equal(events[0]?.arch, 'efi-x64');
    assert.equal(events[0]?.reason, 'hosts[0] matched mac de:00:00:00:00:de');
    assert.equal(events[2]?.file, 'inst/vmlinuz');
    assert.equal(events[2]?.bytes, 'installer kernel'.length);
    assert.equal(events[2]?.ip, '127.0.0.1');
  });

  test('counts requests by kind and code in /metrics', async () => {
    await curl([`${s.url}/files/tiny/initrd.gz`]);
    const got = await curl([`${s.url}/metrics`]);
    assert.equal(got.code, 200);
    assert.match(got.headers, /content-type: text\/plain; version=0\.0\.4/i);
    const text = got.body.toString();
    assert.match(text, /^pxevirt_pxe_http_requests_total\{kind="file",code="200"\} [1-9]\d*$/m);
    assert.match(text, /^pxevirt_pxe_http_requests_total\{kind="script",code="200"\} [1-9]\d*$/m);
    assert.match(text, /^pxevirt_pxe_http_bytes_total [1-9]\d*$/m);
  });
});

test('closes while a download is in progress, recording the cut-short transfer', async () => {
  const log = memoryLogger();
  const s = await start({}, log);
  const pending = curl(['--limit-rate', '200k', `${s.url}/files/tiny/vmlinuz`]).catch((err: Error) => err);
  for (let i = 0; i < 200 && s.transfers.snapshot().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(s.transfers.snapshot().length, 1, 'the download shows as a transfer');
  await s.server.close();
  assert.ok((await pending) instanceof Error, 'curl saw the connection end early');
  for (let i = 0; i < 100 && s.transfers.snapshot().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(s.transfers.snapshot(), []);
  const cut = log.records.find((r) => r.proto === 'http' && r.event === 'error' && r.file === 'tiny/vmlinuz');
  assert.ok(cut, 'an error event is logged for the download');
  assert.equal(cut.level, 'warn');
  assert.ok(typeof cut.bytes === 'number' && cut.bytes < kernel.length, `expected fewer than ${kernel.length} bytes sent, found ${String(cut.bytes)}`);
});

/** A raw connection to the server; resolves once connected, with a promise of its close. */
async function rawConnection(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  const closed = new Promise<void>((done) => socket.once('close', () => done()));
  await new Promise<void>((done) => socket.once('connect', () => done()));
  return { socket, closed };
}

test('connections past the cap are closed at accept, a half-sent request is cut at the header deadline, and the slots come back', { timeout: 30_000 }, async () => {
  const s = await start({}, silentLogger, { maxConnections: 3, headersTimeoutMs: 500 });
  // Three clients that send half a request line and stop (slowloris): they hold every slot.
  const held = await Promise.all([0, 1, 2].map(() => rawConnection(s.server.port)));
  for (const h of held) h.socket.write('GET /files/tiny/vmlinuz HTTP/1.1\r\nHost: x\r\n');
  const extra = await rawConnection(s.server.port);
  await extra.closed; // closed at accept: a fourth connection gets nothing
  await Promise.all(held.map((h) => h.closed)); // each cut at the header deadline
  const r = await curl([`${s.url}/files/tiny/vmlinuz`]);
  assert.equal(r.code, 200, 'a real client is served once the slots are free');
  assert.equal(sha(r.body), sha(kernel));
});
