// Profiles one TFTP server under one load: `lock` (one atftp client, blksize 1468, 64 MiB),
// `window` (the same, windowsize 16) or `storm` (100 atftp clients at once over 20 namespaces,
// 4 MiB each), and prints the time, the server's CPU seconds and its CPU per DATA packet.
// Usage: node --import tsx bench/tftp-profile.ts lock|window|storm [OUT]
//   default: pxevirt (test/helpers/tftp-runner.ts) under `node --cpu-prof`, profile in OUT
//            (a directory, default build/profiles; summarise with bench/profile-summary.mjs)
//   PERF=1   `perf record -g` of the server into OUT (a file; `perf report -i OUT`)
//   STRACE=1 `strace -c -f` of the server into OUT (a file)
//   RUNNER=atftpd  the peer instead of pxevirt; PXEVIRT_TFTP_DATA_PATH=js pxevirt's JavaScript data path;
//   RUNNER_REPO=DIR  the runner from another checkout (to compare commits).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeNamespace, type Namespace } from '../test/helpers/netns.ts';

const REPO = process.env.RUNNER_REPO ?? resolve(dirname(fileURLToPath(import.meta.url)), '..');
const load = process.argv[2] ?? 'lock';
const tracer = process.env.PERF ? 'perf' : process.env.STRACE ? 'strace' : undefined;
const out = resolve(process.argv[3] ?? (tracer ? `build/tftp-${load}.${tracer}` : 'build/profiles'));
const runner = process.env.RUNNER ?? 'node';
const sizeBytes = load === 'storm' ? 4 << 20 : 64 << 20;
const clients = load === 'storm' ? 100 : 1;
const cleanups: Array<() => unknown> = [];
const t = { after: (fn: () => unknown) => void cleanups.push(fn) };

/** CPU seconds (user + system, every thread) a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

try {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-tftp-profile-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  await writeFile(join(dir, 'f'), randomBytes(sizeBytes));
  await chmod(join(dir, 'f'), 0o644);
  const node = await createNodeNamespace(t, { address: '192.168.232.1/24' });
  const spaces: Namespace[] = [];
  for (let i = 0; i < (load === 'storm' ? 20 : 1); i++) spaces.push(await node.addClient({ address: `192.168.232.${10 + i}/24` }));
  await mkdir(tracer ? dirname(out) : out, { recursive: true });
  const nodeFlags = tracer === 'perf' ? ['--perf-basic-prof'] : tracer ? [] : ['--cpu-prof', `--cpu-prof-dir=${out}`];
  const child =
    runner === 'node'
      ? node.spawn('node', [...nodeFlags, '--import', 'tsx', join(REPO, 'test/helpers/tftp-runner.ts'), dir, '192.168.232.1', '69'], { cwd: REPO })
      : node.spawn(runner, ['--daemon', '--no-fork', '--port', '69', '--bind-address', '192.168.232.1', dir]);
  if (runner === 'node') await new Promise<void>((r) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && r()));
  else await new Promise((r) => setTimeout(r, 1000)); // atftpd prints nothing when ready
  const pid = child.pid!;
  const trace =
    tracer === 'perf'
      ? spawn('perf', ['record', '-F', '2000', '-g', '-p', String(pid), '-o', out], { stdio: 'inherit' })
      : tracer === 'strace'
        ? spawn('strace', ['-c', '-f', '-p', String(pid), '-o', out])
        : undefined;
  if (trace) await new Promise((r) => setTimeout(r, 300)); // attached
  const opts = load === 'window' ? ['--option', 'blksize 1468', '--option', 'windowsize 16'] : ['--option', 'blksize 1468'];
  const cpuBefore = await cpuSeconds(pid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, (_, i) => spaces[i % spaces.length]!.exec('atftp', ['--get', '-r', 'f', '-l', join(dir, `got-${i}`), ...opts, '192.168.232.1', '69'], { timeoutMs: 300000 })),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (await cpuSeconds(pid)) - cpuBefore;
  const packets = clients * (Math.floor(sizeBytes / 1468) + 1);
  process.stdout.write(`${load}: ${seconds.toFixed(2)} s, server CPU ${cpu.toFixed(2)} s, ${((cpu / packets) * 1e6).toFixed(1)} µs a DATA packet\n`);
  if (trace) {
    trace.kill('SIGINT');
    await new Promise((r) => trace.once('exit', r));
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
} finally {
  for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
}
