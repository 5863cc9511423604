// CLI start-up: `pxevirt get vmi` against `kubectl get vmi` on the same daemon (`pxevirt up`,
// API only), 20 runs each, interleaved, median wall time of the whole process (spawn to exit).
// Both print the same table of the seed VMIs.
//   node --import tsx bench/cli.ts [RUNS]        prints the JSON result
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startDaemonProcess } from '../test/api/daemon-process.ts';
import { cliBuildStale } from '../scripts/build-cli.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const BIN = join(ROOT, 'bin/pxevirt');
const FLOOR = join(ROOT, 'bench/cli-floor.cjs');
const SEED = '/work/shared/seed-scenario/vmi-pxe-boot.yaml';

export interface CliBenchResult {
  name: 'cli';
  runs: number;
  vmis: number;
  /** Whether dist/ was current, i.e. pxevirt ran the built JavaScript (not src through tsx). */
  built: boolean;
  /** Whether the kubeconfig named the daemon's unix socket (pxevirt then uses it; kubectl keeps HTTPS). */
  socket: boolean;
  pxevirt: { medianMs: number; minMs: number; maxMs: number };
  kubectl: { medianMs: number; minMs: number; maxMs: number };
  /** bench/cli-floor.cjs: Node started as bin/pxevirt starts it, one HTTPS GET, nothing else. */
  nodeFloor: { medianMs: number; minMs: number; maxMs: number };
  /** pxevirt median / kubectl median: the goal is at most 1. */
  ratio: number;
  /** The 1-minute load average before and after the measured runs (the machine is shared). */
  load: { before: number; after: number };
}

/** Wall time of one run in ms; throws when the command fails. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((done, fail) => {
    execFile(cmd, args, { env, timeout: 60_000 }, (err, _stdout, stderr) => (err ? fail(new Error(`${cmd} ${args.join(' ')} failed: ${stderr}`)) : done(performance.now() - started)));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const summary = (xs: number[]) => ({ medianMs: Number(median(xs).toFixed(1)), minMs: Number(Math.min(...xs).toFixed(1)), maxMs: Number(Math.max(...xs).toFixed(1)) });

export async function benchCli(options: { runs?: number; vmis?: number; log?: (line: string) => void } = {}): Promise<CliBenchResult> {
  const runs = options.runs ?? 20;
  const vmis = options.vmis ?? 5;
  const cleanups: Array<() => unknown> = [];
  try {
    const d = await startDaemonProcess({ after: (fn) => void cleanups.push(fn) });
    const seed = readFileSync(SEED, 'utf8');
    for (let i = 0; i < vmis; i++) {
      const mac = `de:00:00:00:01:${i.toString(16).padStart(2, '0')}`;
      const made = await d.kubectl(['create', '-f', '-'], seed.replace(/name: vmi-pxe-boot/, `name: vmi-cli-${i}`).replace(/de:00:00:00:00:de/g, mac));
      if (made.code !== 0) throw new Error(`kubectl create failed: ${made.stderr}`);
    }
    const env = { ...process.env, KUBECONFIG: d.kubeconfig };
    const built = !cliBuildStale();
    const socket = readFileSync(d.kubeconfig, 'utf8').includes('pxevirt.io/socket');
    // One of each first, unmeasured: the page cache holds both binaries for every measured run.
    await timed(BIN, ['get', 'vmi'], env);
    await timed('kubectl', ['get', 'vmi'], env);
    const floorEnv: NodeJS.ProcessEnv = { ...env };
    delete floorEnv.NODE_EXTRA_CA_CERTS;
    floorEnv.SSL_CERT_FILE = '/dev/null';
    const floorArgs = ['--use-openssl-ca', FLOOR];
    await timed(process.execPath, floorArgs, floorEnv);
    const loadBefore = loadavg()[0]!;
    const px: number[] = [];
    const kc: number[] = [];
    const fl: number[] = [];
    for (let i = 0; i < runs; i++) {
      px.push(await timed(BIN, ['get', 'vmi'], env));
      kc.push(await timed('kubectl', ['get', 'vmi'], env));
      fl.push(await timed(process.execPath, floorArgs, floorEnv));
      options.log?.(`  run ${i + 1}/${runs}: pxevirt ${px.at(-1)!.toFixed(0)} ms, kubectl ${kc.at(-1)!.toFixed(0)} ms, Node floor ${fl.at(-1)!.toFixed(0)} ms`);
    }
    const pxevirt = summary(px);
    const kubectl = summary(kc);
    return { name: 'cli', runs, vmis, built, socket, pxevirt, kubectl, nodeFloor: summary(fl), ratio: Number((pxevirt.medianMs / kubectl.medianMs).toFixed(2)), load: { before: Number(loadBefore.toFixed(2)), after: Number(loadavg()[0]!.toFixed(2)) } };
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
}

/** The section of docs/benchmarks.md (bench/run.ts). */
export function renderCli(c: CliBenchResult): string[] {
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  return [
    '## CLI: `pxevirt get vmi` vs `kubectl get vmi`',
    '',
    `Both against the same daemon (\`pxevirt up --no-controllers\`, ${c.vmis} VMIs), ${c.runs} runs each, interleaved; wall time from spawn to exit (bench/cli.ts).`,
    `pxevirt ran ${c.built ? 'the built JavaScript (dist/, `make setup`)' : 'src through tsx (dist/ missing or stale)'}${c.socket ? ', over the daemon\'s unix socket (the kubeconfig\'s `pxevirt.io/socket`); kubectl over HTTPS' : ', over HTTPS'}.`,
    '',
    '| command | median | min | max |',
    '|---|---|---|---|',
    `| pxevirt get vmi | ${ms(c.pxevirt.medianMs)} | ${ms(c.pxevirt.minMs)} | ${ms(c.pxevirt.maxMs)} |`,
    `| kubectl get vmi | ${ms(c.kubectl.medianMs)} | ${ms(c.kubectl.minMs)} | ${ms(c.kubectl.maxMs)} |`,
    `| Node floor (bench/cli-floor.cjs) | ${ms(c.nodeFloor.medianMs)} | ${ms(c.nodeFloor.minMs)} | ${ms(c.nodeFloor.maxMs)} |`,
    `| **ratio pxevirt / kubectl** | **${c.ratio.toFixed(2)}** | | |`,
    '',
    `Load average (1 min) ${c.load.before} before the runs, ${c.load.after} after.`,
    '',
    'Goal: pxevirt at or below kubectl. The Node floor is a 20-line script that starts Node the way bin/pxevirt does and makes the one HTTPS GET: what any Node CLI pays over HTTPS (pxevirt over the socket pays less in instructions; see "Instruction counts").',
    '',
  ];
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  const runs = Number(process.argv[2] ?? 20);
  process.stdout.write(`${JSON.stringify(await benchCli({ runs, log: (l) => process.stderr.write(`${l}\n`) }), null, 2)}\n`);
}
