// TFTP throughput: pxevirt against dnsmasq and atftpd, each serving the same file from a
// node namespace to the atftp client in a client namespace across a veth + bridge (MTU 1500).
// Runnable alone: `node --import tsx bench/tftp.ts` prints JSON.
import { type ChildProcess } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeNamespace, netnsUnavailable, type Namespace, type NodeNamespace } from '../test/helpers/netns.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER_IP = '192.168.231.1';
const CLIENT_IP = '192.168.231.2';
const FILE = 'bench.bin';

export interface Figure {
  runsMBps: number[];
  bestMBps: number;
  medianMBps: number;
}

export interface TftpBenchResult {
  fileMiB: number;
  client: string;
  settings: Record<string, { servers: Record<string, Figure>; bestPeer: string; ratio: number }>;
  skipped?: string;
}

interface ServerDef {
  name: string;
  start(node: NodeNamespace, root: string): ChildProcess;
  /** Resolves once the server answers. */
  ready(child: ChildProcess, node: NodeNamespace): Promise<void>;
}

const SETTINGS: Record<string, string[]> = {
  'blksize 1468': ['blksize 1468'],
  'blksize 1468 + windowsize 16': ['blksize 1468', 'windowsize 16'],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForUdp69(node: Namespace, child: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before listening`);
    const { stdout } = await node.exec('ss', ['-Hlun', 'sport', '= :69']);
    if (stdout.trim()) return;
    await sleep(100);
  }
  throw new Error(`expected ${name} listening on UDP 69, found nothing after 10 s`);
}

const SERVERS: ServerDef[] = [
  {
    name: 'pxevirt',
    start: (node, root) => node.spawn('node', ['--import', 'tsx', join(REPO, 'test/helpers/tftp-runner.ts'), root, SERVER_IP, '69'], { cwd: REPO }),
    ready: (child) =>
      new Promise((resolvePromise, reject) => {
        let text = '';
        child.stdout?.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('"ready":true')) resolvePromise();
        });
        child.once('exit', (code) => reject(new Error(`pxevirt TFTP exited with ${code}: ${text}`)));
      }),
  },
  {
    name: 'dnsmasq',
    start: (node, root) =>
      node.spawn('dnsmasq', ['--no-daemon', '--conf-file=/dev/null', '--pid-file=', '--port=0', '--enable-tftp', `--tftp-root=${root}`, '--interface=br0', '--bind-interfaces']),
    ready: (child, node) => waitForUdp69(node, child, 'dnsmasq'),
  },
  {
    name: 'atftpd',
    start: (node, root) => node.spawn('atftpd', ['--daemon', '--no-fork', '--port', '69', '--bind-address', SERVER_IP, root]),
    ready: (child, node) => waitForUdp69(node, child, 'atftpd'),
  },
];

async function writePattern(path: string, size: number): Promise<void> {
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(1 << 20);
  const file = await open(path, 'w');
  try {
    for (let left = size; left > 0; left -= zeros.length) await file.write(cipher.update(zeros.subarray(0, Math.min(left, zeros.length))));
  } finally {
    await file.close();
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  await Promise.race([exited, sleep(3000)]);
  if (child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await exited;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number) => Math.round(x * 10) / 10;

/** Measures pxevirt's TFTP throughput against dnsmasq and atftpd; returns MB/s and ratios. */
export async function benchTftp(options: { sizeMiB?: number; runs?: number } = {}): Promise<TftpBenchResult> {
  const sizeMiB = options.sizeMiB ?? 64;
  const runs = options.runs ?? 3;
  const result: TftpBenchResult = { fileMiB: sizeMiB, client: 'atftp', settings: {} };
  const unavailable = await netnsUnavailable();
  if (unavailable) return { ...result, skipped: unavailable };
  const cleanups: Array<() => unknown> = [];
  const t = { after: (fn: () => unknown) => void cleanups.push(fn) };
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-bench-tftp-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  try {
    // atftpd and dnsmasq drop to nobody: the root and file must be world-readable.
    const root = join(dir, 'root');
    await mkdir(root);
    await chmod(dir, 0o755);
    await chmod(root, 0o755);
    const size = sizeMiB * 1024 * 1024;
    await writePattern(join(root, FILE), size);
    await chmod(join(root, FILE), 0o644);
    const node = await createNodeNamespace(t, { address: `${SERVER_IP}/24` });
    const client = await node.addClient({ address: `${CLIENT_IP}/24` });
    const local = join(dir, 'download.bin');

    const figures: Record<string, Record<string, Figure>> = {};
    for (const server of SERVERS) {
      const child = server.start(node, root);
      try {
        await server.ready(child, node);
        for (const [setting, opts] of Object.entries(SETTINGS)) {
          const mbps: number[] = [];
          for (let i = 0; i < runs; i++) {
            await rm(local, { force: true });
            const args = ['--get', '-r', FILE, '-l', local, ...opts.flatMap((o) => ['--option', o]), SERVER_IP, '69'];
            const started = performance.now();
            await client.exec('atftp', args, { timeoutMs: 300_000 });
            const seconds = (performance.now() - started) / 1000;
            const got = (await stat(local)).size;
            if (got !== size) throw new Error(`${server.name} ${setting}: expected ${size} bytes, found ${got}`);
            mbps.push(round(size / 1e6 / seconds));
          }
          (figures[setting] ??= {})[server.name] = { runsMBps: mbps, bestMBps: Math.max(...mbps), medianMBps: median(mbps) };
        }
      } finally {
        await stop(child);
      }
    }
    for (const [setting, servers] of Object.entries(figures)) {
      const peers = Object.entries(servers).filter(([name]) => name !== 'pxevirt');
      const [bestPeer, peer] = peers.reduce((a, b) => (b[1].bestMBps > a[1].bestMBps ? b : a));
      result.settings[setting] = { servers, bestPeer, ratio: Math.round(((servers.pxevirt?.bestMBps ?? 0) / peer.bestMBps) * 100) / 100 };
    }
    return result;
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await benchTftp();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
