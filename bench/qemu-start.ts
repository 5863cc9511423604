// Where the QEMU step of a VMI start goes (issue 15 Must-show 4): the same QEMU command line
// started in several ways, interleaved round by round, each timed from spawn to QMP
// `query-status` = running (the bench/vmi.ts peer's measure, polled every 2 ms here):
//   bare        spawn(qemu) — the peer
//   bare-plain  the same without -runas and -sandbox (QEMU's own cost of them; both sides use them)
//   sh          the detached-process wrapper (`sh -c WRAPPER`: pidfile, exit status)
//   netns-exec  `ip netns exec NS` + the wrapper (pxevirt's launcher before this change)
//   nsenter     `nsenter --net=/run/netns/NS` + the wrapper
//   launch      QemuProcess.launch in the netns: the launcher, the pidfile poll, the QMP poll
// Usage: node --import tsx bench/qemu-start.ts QEMU_ARGS_JSON BACKING_IMAGE [ROUNDS]
// QEMU_ARGS_JSON is a run dir's qemu.args (a VMI's argv without the binary; its sercon-port
// beside it); the run dir it names (the -pidfile's directory) is replaced by a fresh one per
// start, with a fresh overlay over BACKING_IMAGE (raw).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { silentLogger } from '../src/lib/logger.ts';
import { WRAPPER } from '../src/runtime/detached-process.ts';
import { QemuProcess } from '../src/runtime/qemu-process.ts';
import { QmpClient } from '../src/runtime/qmp.ts';

const run = promisify(execFile);
const QEMU = 'qemu-system-x86_64';

type Variant = 'bare' | 'bare-plain' | 'sh' | 'netns-exec' | 'nsenter' | 'launch';
const VARIANTS: Variant[] = ['bare', 'bare-plain', 'sh', 'netns-exec', 'nsenter', 'launch'];

/** The argv without an option and its value. */
const without = (args: string[], option: string): string[] => args.filter((_, i) => args[i] !== option && args[i - 1] !== option);

async function untilRunning(qmp: string, deadline: number): Promise<void> {
  for (;;) {
    if (Date.now() > deadline) throw new Error(`bench: ${qmp} not running in time`);
    const client = await QmpClient.connect(qmp, { timeoutMs: 5000 }).catch(() => undefined);
    if (client) {
      try {
        if (((await client.execute('query-status')) as { status?: string }).status === 'running') return;
      } finally {
        client.close();
      }
    }
    await sleep(2);
  }
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

async function startOnce(variant: Variant, template: string[], templateDir: string, filesDir: string, backing: string, work: string, netns: string): Promise<number> {
  const dir = await mkdtemp(join(work, 'r-'));
  await run('chmod', ['755', dir]); // as the peer's: QEMU runs as its -runas user
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', 'raw', join(dir, 'root.qcow2')]);
  if (existsSync(join(filesDir, 'sercon-port'))) await run('cp', [join(filesDir, 'sercon-port'), join(dir, 'sercon-port')]);
  let args = template.map((a) => a.split(templateDir).join(dir));
  if (variant === 'bare-plain') args = without(without(args, '-runas'), '-sandbox');
  const qmp = join(dir, 'qmp.sock');
  const wrapped = ['sh', '-c', WRAPPER, 'pxevirt-qemu', join(dir, 'qemu.pid'), join(dir, 'qemu.status'), QEMU, ...args];
  const t0 = performance.now();
  let group: number | undefined;
  if (variant === 'launch') {
    const proc = await QemuProcess.launch({ netns, runDir: dir, args, log: silentLogger });
    await proc.execute('query-status');
    const ms = performance.now() - t0;
    await proc.kill('bench');
    await rm(dir, { recursive: true, force: true });
    return ms;
  }
  const argv =
    variant === 'bare' || variant === 'bare-plain' ? [QEMU, ...args]
    : variant === 'sh' ? wrapped
    : variant === 'netns-exec' ? ['ip', 'netns', 'exec', netns, ...wrapped]
    : ['nsenter', `--net=/run/netns/${netns}`, ...wrapped];
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore' });
  group = child.pid;
  try {
    await untilRunning(qmp, Date.now() + 60_000);
    return performance.now() - t0;
  } finally {
    const pid = Number(readFileSync(join(dir, 'qemu.pid'), 'utf8').trim());
    if (group !== undefined) process.kill(-group, 'SIGKILL');
    while (alive(pid)) await sleep(5);
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main(): Promise<void> {
  const [argsFile, backing, roundsText] = process.argv.slice(2);
  if (!argsFile || !backing) throw new Error('usage: bench/qemu-start.ts QEMU_ARGS_JSON BACKING_IMAGE [ROUNDS]');
  const template = JSON.parse(readFileSync(argsFile, 'utf8')) as string[];
  const pidfile = template[template.indexOf('-pidfile') + 1];
  if (!pidfile) throw new Error(`bench: expected -pidfile in ${argsFile}, found none`);
  const templateDir = dirname(pidfile);
  const rounds = Number(roundsText ?? 10);
  const work = await mkdtemp(join(tmpdir(), 'pxevirt-bench-qemu-'));
  await run('chmod', ['755', work]);
  const netns = `pxq${randomBytes(3).toString('hex')}`;
  await run('ip', ['netns', 'add', netns]);
  const times = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
  const load = [readFileSync('/proc/loadavg', 'utf8').trim()];
  try {
    for (let r = 0; r < rounds; r++) {
      // Rotated each round: no variant always follows the same one.
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + r) % VARIANTS.length]!;
        times.get(v)!.push(await startOnce(v, template, templateDir, dirname(argsFile), backing, work, netns));
      }
    }
  } finally {
    await run('ip', ['netns', 'del', netns]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
  load.push(readFileSync('/proc/loadavg', 'utf8').trim());
  const bare = median(times.get('bare')!);
  const out = Object.fromEntries([...times].map(([v, xs]) => [v, { p50Ms: Math.round(median(xs) * 10) / 10, overBareMs: Math.round((median(xs) - bare) * 10) / 10, samples: xs.map((x) => Math.round(x)) }]));
  process.stdout.write(`${JSON.stringify({ rounds, loadavg: load, ...out }, null, 2)}\n`);
}

await main();
