// Profiles `pxevirt pxe serve` under perfdhcp (issue 15): starts it with --cpu-prof in a
// throwaway namespace, drives it for a few seconds, stops it, and prints the hottest
// functions by self time from the .cpuprofile it wrote.
//   node --import tsx bench/dhcp-profile.ts [OUT_DIR] [RATE] [SECONDS]
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeNamespace } from '../test/helpers/netns.ts';
import { runPerfdhcp } from '../test/dhcp/perfdhcp.ts';
import { startDhcpProcess, testConfig } from '../test/dhcp/server-process.ts';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }

const out = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'pxvt-dhcp-prof-')));
const rate = Number(process.argv[3] ?? 4000);
const seconds = Number(process.argv[4] ?? 5);
const fns: Array<() => unknown> = [];
const scope = { after: (fn: () => unknown) => void fns.push(fn) };
try {
  await mkdir(out, { recursive: true });
  const dir = await mkdtemp(join(tmpdir(), 'pxvt-prof-'));
  fns.push(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'root'));
  const ns = await createNodeNamespace(scope, { address: '192.168.100.1/24' });
  const server = await startDhcpProcess(ns, testConfig(join(dir, 'root')), join(dir, 'state'), { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${out}`] });
  const client = await ns.addClient({ address: '192.168.100.2/24' });
  const report = await runPerfdhcp(client, '192.168.100.1', ['-r', String(rate), '-R', '200', '-p', String(seconds), '-W', '1000000'], (seconds + 60) * 1000);
  await server.stop();
  process.stdout.write(`rate ${report.rate}/s, DO ${JSON.stringify(report.discoverOffer)}, RA ${JSON.stringify(report.requestAck)}\n`);
  // Thread 0 is the main thread (tsx's loader runs in a worker, thread 1).
  const file = (await readdir(out)).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f)).sort().pop();
  if (!file) throw new Error(`expected a .cpuprofile in ${out}, found none`);
  const profile = JSON.parse(await readFile(join(out, file), 'utf8')) as { nodes: ProfileNode[] };
  const self = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (n.hitCount ?? 0));
    total += n.hitCount ?? 0;
  }
  process.stdout.write(`profile ${join(out, file)}: ${total} samples\n`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`);
} finally {
  for (const fn of fns.reverse()) await fn();
}
