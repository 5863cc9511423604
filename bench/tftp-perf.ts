// CPU per DATA packet of one TFTP server under one load, optionally with a `perf record` or
// `strace -c` of it: `node --import tsx bench/tftp-perf.ts lock|window|storm [OUT]` runs
// pxevirt (test/helpers/tftp-runner.ts; PXEVIRT_TFTP_WORKERS=N for worker threads), or
// RUNNER=atftpd the peer; PERF=1 writes a perf profile to OUT (`perf report -i OUT`), STRACE=1
// a syscall count. Prints the time, the server's CPU seconds and µs per packet.
import { mkdir, mkdtemp, rm, writeFile, chmod, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createNodeNamespace, type Namespace } from '../test/helpers/netns.ts';
const REPO = process.env.RUNNER_REPO ?? resolve(dirname(fileURLToPath(import.meta.url)), '..');
const load = process.argv[2] ?? 'lock';
const out = resolve(process.argv[3] ?? '/tmp/tftp15/perf.data');
const runner = process.env.RUNNER ?? 'node';
const cleanups: Array<() => unknown> = [];
const t = { after: (fn: () => unknown) => void cleanups.push(fn) };
async function cpu(pid: number): Promise<number> {
  let total = 0;
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  total += (Number(f[11]) + Number(f[12])) / 100;
  return total;
}
try {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-tftp-perf-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  await writeFile(join(dir, 'f'), randomBytes(load === 'storm' ? 4 << 20 : 64 << 20));
  const node = await createNodeNamespace(t, { address: '192.168.233.1/24' });
  const spaces: Namespace[] = [];
  for (let i = 0; i < (load === 'storm' ? 20 : 1); i++) spaces.push(await node.addClient({ address: `192.168.233.${10 + i}/24` }));
  const child = runner === 'node'
    ? node.spawn('node', [...(process.env.PERF ? ['--perf-basic-prof'] : []), '--import', 'tsx', join(REPO, 'test/helpers/tftp-runner.ts'), dir, '192.168.233.1', '69'], { cwd: REPO })
    : node.spawn(runner, ['--daemon', '--no-fork', '--port', '69', '--bind-address', '192.168.233.1', dir]);
  if (runner === 'node') await new Promise<void>((r) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && r()));
  else await new Promise((r) => setTimeout(r, 1000));
  const pid = child.pid!;
  const perf = process.env.STRACE ? spawn("strace", ["-c", "-f", "-p", String(pid), "-o", out]) : process.env.PERF ? spawn("perf", ["record", "-F", "2000", "-g", "-p", String(pid), "-o", out], { stdio: 'inherit' }) : undefined;
  await new Promise((r) => setTimeout(r, 300));
  const opts = load === 'window' ? ['--option', 'blksize 1468', '--option', 'windowsize 16'] : ['--option', 'blksize 1468'];
  const c0 = await cpu(pid);
  const t0 = performance.now();
  const n = load === 'storm' ? 100 : 1;
  await Promise.all(Array.from({ length: n }, (_, i) => spaces[i % spaces.length]!.exec('atftp', ['--get', '-r', 'f', '-l', join(dir, `got-${i}`), ...opts, '192.168.233.1', '69'], { timeoutMs: 300000 })));
  const s = (performance.now() - t0) / 1000;
  const c = (await cpu(pid)) - c0;
  const packets = n * ((load === 'storm' ? 4 << 20 : 64 << 20) / 1468);
  process.stdout.write(`${load}: ${s.toFixed(2)} s, cpu ${c.toFixed(2)} s, ${(c / packets * 1e6).toFixed(1)} us/packet\n`);
  if (perf) { perf.kill('SIGINT'); await new Promise((r) => perf.once('exit', r)); }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
} finally {
  for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
}
