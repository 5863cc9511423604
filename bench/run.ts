// `make bench`: every benchmark, each against its named peer in the same run, and the
// figures written to docs/benchmarks.md (its generated section) with the command that produced them.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { benchDhcp, dhcpProfileNotes, type DhcpBenchResult } from './dhcp.ts';
import { benchTftp, benchTftpStorm, tftpProfileNotes, type TftpBenchResult, type TftpStormResult } from './tftp.ts';
import { benchBootStorm, type StormResult } from './boot-storm.ts';
import { benchApi, type ApiBenchResult } from './api.ts';
import { benchVmi, type VmiBenchResult } from './vmi.ts';
import { benchCli, renderCli, type CliBenchResult } from './cli.ts';
import { benchWholeBoot, renderWholeBoot, type WholeBootResult } from './whole-boot.ts';
import { benchImport, renderImport, type ImportBenchResult } from './import.ts';
import { benchInstall, renderInstall, type InstallBenchResult } from './install.ts';
import { benchRedfish, renderRedfish, type RedfishBenchResult } from './redfish.ts';
import { repoRoot } from '../test/helpers/pxe.ts';
import { mergeGenerated } from './doc-merge.ts';

const cleanups: Array<() => unknown> = [];
const scope = { after: (fn: () => unknown) => void cleanups.push(fn) };
const log = (text: string) => process.stderr.write(`${text}\n`);

async function closeScope(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
}

log('bench: TFTP throughput, pxevirt vs dnsmasq vs atftpd (64 MiB file)…');
const tftp: TftpBenchResult = await benchTftp();
log('bench: TFTP storm, 100 atftp clients × 4 MiB at once, pxevirt vs dnsmasq vs atftpd…');
const tftpStorm: TftpStormResult = await benchTftpStorm();
log('bench: DHCP exchanges per second, pxevirt vs dnsmasq (perfdhcp)…');
const dhcp: DhcpBenchResult = await benchDhcp();
log('bench: boot storm, 100 clients at once…');
let storm: StormResult;
try {
  storm = await benchBootStorm(scope, 100);
} finally {
  await closeScope();
}
log('bench: API server, 10,000 VMIs stored, 100 watchers…');
const api: ApiBenchResult = await benchApi({ log });
log('bench: VMIs, 20 created one after the other, vs the same QEMU started by hand…');
const vmi: VmiBenchResult = await benchVmi({ log });
log('bench: CLI, `pxevirt get vmi` vs `kubectl get vmi`, 20 runs each…');
const cli: CliBenchResult = await benchCli({ log });

log('bench: whole network boot, power-on to the guest marker, pxevirt vs dnsmasq + httpd (BIOS, UEFI, IPv6, Secure Boot), interleaved…');
// Each boot cleans up after itself; rounds alternate which side goes first.
const wholeBoot: WholeBootResult = await benchWholeBoot(log, { rounds: Number(process.env.PXEVIRT_BENCH_BOOT_ROUNDS ?? 2) });

log('bench: DataVolume http import of a 256 MiB qcow2, pxevirt vs curl + qemu-img convert…');
let dvImport: ImportBenchResult;
try {
  dvImport = await benchImport(scope, { log });
} finally {
  await closeScope();
}
log('bench: the whole install flow, kubectl create → the installed disk\'s marker…');
let install: InstallBenchResult;
try {
  install = await benchInstall(scope, log);
} finally {
  await closeScope();
}

log('bench: BMC power-on → guest marker, pxevirt Redfish vs `virsh start` under an isolated libvirtd…');
let redfish: RedfishBenchResult;
try {
  redfish = await benchRedfish(scope, { log });
} finally {
  await closeScope();
}

const results = { date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`, tftp, tftpStorm, dhcp, storm, api, vmi, cli, wholeBoot, dvImport, install, redfish };
const md = render(results);
// Only the generated section is replaced: the analyses beside the figures stay (bench/doc-merge.ts).
const page = join(repoRoot, 'docs/benchmarks.md');
await writeFile(page, mergeGenerated(await readFile(page, 'utf8').catch(() => ''), md));
await writeFile(join(repoRoot, 'build/bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(md);

function render(r: typeof results): string {
  const mbps = (n: number | undefined) => (n === undefined ? 'n/a' : `${n.toFixed(1)} MB/s`);
  const lines = [
    '# Benchmarks',
    '',
    `Produced by \`make bench\` (\`node --import tsx bench/run.ts\`) on ${r.date.slice(0, 10)}, ${r.machine}.`,
    'Every figure compares pxevirt with its peer in the same run, on the same veth pair and files,',
    'inside throwaway network namespaces. Raw numbers: `build/bench-results.json`.',
    '',
    'Reading these numbers: the machine has two cores shared by the server, the client and',
    'anything else running; figures move by up to 2x from one run to the next (the DHCP ratio',
    'ranged from 0.2 to 1.0 over the runs made while developing). Compare ratios within a run.',
    '',
    '## TFTP throughput, 64 MiB file (atftp client)',
    '',
    '| setting | pxevirt | dnsmasq | atftpd | pxevirt / best peer |',
    '|---|---|---|---|---|',
    ...Object.entries(r.tftp.settings).map(
      ([name, s]) => `| ${name} | ${mbps(s.servers.pxevirt?.medianMBps)} | ${mbps(s.servers.dnsmasq?.medianMBps)} | ${mbps(s.servers.atftpd?.medianMBps)} | ${s.ratio.toFixed(2)} (vs ${s.bestPeer}) |`,
    ),
    '',
    'All servers run at once on their own addresses and each round fetches once from each (interleaved), so load from the shared machine falls on all alike. Medians of the runs; the ratio is pxevirt\'s median over the best peer\'s median (build/bench-results.json has every run).',
    '',
    'Goal: pxevirt at least matches the best peer at each setting. dnsmasq ignores windowsize.',
    '',
    `## TFTP storm: ${r.tftpStorm.clients} atftp clients × ${r.tftpStorm.fileMiB} MiB at once (lock-step, blksize 1468)`,
    '',
    '| server | time to the last client (runs) | median | failures | server CPU per DATA packet |',
    '|---|---|---|---|---|',
    ...Object.entries(r.tftpStorm.servers).map(([name, f]) => `| ${name} | ${f.runsS.map((x) => `${x} s`).join(', ')} | ${f.medianS} s | ${f.failures} | ${f.cpuUsPerPacket} µs |`),
    `| **pxevirt / dnsmasq (median time, goal ≤ 1)** | | **${r.tftpStorm.ratio.toFixed(2)}** | | |`,
    '',
    ...tftpProfileNotes(),
    '## DHCP exchanges per second (perfdhcp, 4-way, relayed)',
    '',
    '| server | exchanges/s | offered rate |',
    '|---|---|---|',
    `| pxevirt (logs every message) | ${r.dhcp.pxevirt.exchangesPerSecond.toFixed(0)} | ${r.dhcp.pxevirt.offeredRate ?? ''} |`,
    `| dnsmasq (--quiet-dhcp) | ${r.dhcp.dnsmasq.exchangesPerSecond.toFixed(0)} | ${r.dhcp.dnsmasq.offeredRate ?? ''} |`,
    `| **ratio pxevirt / dnsmasq** | **${r.dhcp.ratio.toFixed(2)}** | |`,
    '',
    'Goal: at least dnsmasq\'s rate. perfdhcp runs on the same two cores as the server.',
    '',
    ...dhcpProfileNotes(),
    '',
    '## Boot storm: 100 simulated clients at once',
    '',
    'Each client: DHCP (relayed), TFTP of a 1 MB file (blksize 1468), HTTP of a 30 MB file.',
    '',
    '| clients | completed | time to the last | p50 per client | p99 per client |',
    '|---|---|---|---|---|',
    `| ${r.storm.clients} | ${r.storm.completed} | ${(r.storm.lastMs / 1000).toFixed(1)} s | ${(r.storm.p50Ms / 1000).toFixed(1)} s | ${(r.storm.p99Ms / 1000).toFixed(1)} s |`,
    '',
    ...renderApi(r.api),
    ...renderVmi(r.vmi),
    ...renderCli(r.cli),
    ...renderWholeBoot(r.wholeBoot),
    ...renderImport(r.dvImport),
    ...renderInstall(r.install),
    ...renderRedfish(r.redfish),
  ];
  return lines.join('\n');
}

function renderApi(a: ApiBenchResult): string[] {
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const row = (what: string, f: { operations: number; concurrency: number; p50Ms: number; p99Ms: number; perSecond: number }) =>
    `| ${what} | ${f.operations} | ${f.concurrency} | ${ms(f.p50Ms)} | ${ms(f.p99Ms)} | ${f.perSecond}/s |`;
  return [
    `## API server: ${a.objects.toLocaleString('en')} VMIs stored`,
    '',
    `The real daemon (\`pxevirt up\`, SQLite synchronous=FULL) on 127.0.0.1, driven over HTTPS with a keep-alive agent`,
    `(bench/api.ts). VMIs are the seed \`vmi-pxe-boot\` (${a.objectBytes} bytes of JSON) with unique names and MACs in ${a.namespaces} namespaces.`,
    'No peer: absolute figures.',
    '',
    '| operation | requests | in flight | p50 | p99 | throughput |',
    '|---|---|---|---|---|---|',
    row('create', a.create),
    row('get (random object)', a.get),
    row(`list one namespace (${a.listNamespace.items} items)`, a.listNamespace),
    row(`list page (limit=${a.listPage.limit})`, a.listPage),
    row(`list every VMI in pages (${a.listPage.pagesPerWalk} pages)`, a.listPage.walk),
    row(`label patch, ${a.watch.watchers} watchers open (after the warm-up)`, a.watch.update),
    row(`label patch, ${a.watch.watchers} watchers open: the warm-up, a fresh daemon's first ${a.watch.coldUpdate.operations}`, a.watch.coldUpdate),
    '',
    `**CPU per measured patch:** daemon ${a.patchCpuUsPerPatch.daemon} µs, watchers' process ${a.patchCpuUsPerPatch.watchers} µs, client ${a.patchCpuUsPerPatch.client} µs (the machine's two cores run all three).`,
    '',
    `**Watch:** ${a.watch.watchers} concurrent watchers, ${a.watch.updates} updates: every watcher received every event`,
    `(${a.watch.receivedPerWatcher.min}–${a.watch.receivedPerWatcher.max} per watcher, ${a.watch.deliveries} deliveries; the bench aborts otherwise).`,
    `Delivery latency from the write's response to a watcher's receipt: p50 ${ms(a.watch.deliveryFromResponse.p50Ms)}, p99 ${ms(a.watch.deliveryFromResponse.p99Ms)}`,
    `(from the request being sent: p50 ${ms(a.watch.deliveryFromRequest.p50Ms)}, p99 ${ms(a.watch.deliveryFromRequest.p99Ms)}); the watchers parse their streams in the bench process, on the same cores.`,
    '',
    `**Memory (VmRSS):** idle ${mib(a.memory.idleRssBytes)}; with ${a.objects.toLocaleString('en')} objects ${mib(a.memory.filledRssBytes)}`,
    `(${(a.memory.perObjectBytes / 1024).toFixed(1)} KiB per stored object); after the lists and the watch phase ${mib(a.memory.finalRssBytes)}.`,
    '',
  ];
}

function renderVmi(v: VmiBenchResult): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const p = v.pxevirt;
  return [
    `## VMIs: ${v.vmis} guests (${v.memory}, containerDisk already cached, no network)`,
    '',
    'bench/vmi.ts: `pxevirt up` with its controllers; VMIs created over HTTPS one at a time, each deleted before the next',
    `(the first rows, interleaved with the peer's runs), then again all kept running. Peer: ${v.peer.what}, ${v.peerRuns} runs.`,
    `Load average (1 min) ${v.loadavg.start[0]} at the start, ${v.loadavg.end[0]} at the end. Around the runtime's start (p50): POST → 'starting guest' ${Math.round(p.startPhases.postToStartingGuest ?? 0)} ms, → 'QEMU started' ${Math.round(p.startPhases.startingGuestToQemuStarted ?? 0)} ms, → Running seen ${Math.round(p.startPhases.qemuStartedToRunningSeen ?? 0)} ms.`,
    '',
    '| figure | pxevirt p50 | pxevirt p99 | peer p50 | pxevirt / peer (p50) |',
    '|---|---|---|---|---|',
    `| create → phase Running (peer: spawn → QMP "running") | ${s(p.createToRunning.p50Ms)} | ${s(p.createToRunning.p99Ms)} | ${s(v.peer.spawnToQmpRunning.p50Ms)} | ${v.ratios.createToRunningP50.toFixed(2)} |`,
    `| create → first serial byte (peer: spawn → first byte) | ${s(p.createToFirstSerialByte.p50Ms)} | ${s(p.createToFirstSerialByte.p99Ms)} | ${s(v.peer.spawnToFirstSerialByte.p50Ms)} | ${v.ratios.firstSerialByteP50.toFixed(2)} |`,
    `| the same with the earlier VMIs kept running: → Running | ${s(p.withOthersRunning.createToRunning.p50Ms)} | ${s(p.withOthersRunning.createToRunning.p99Ms)} | | |`,
    `| … → first serial byte | ${s(p.withOthersRunning.createToFirstSerialByte.p50Ms)} | ${s(p.withOthersRunning.createToFirstSerialByte.p99Ms)} | | |`,
    '',
    `**Memory (VmRSS, guests booted):** ${p.guestsBooted} of ${v.vmis} kept-running guests booted${p.guestsPanicked ? ` (${p.guestsPanicked} kernel panic on the TCG timer check under load)` : ''}. QEMU per guest ${mib(p.qemuRssBytes)} (peer ${mib(v.peer.qemuRssBytes)}, ratio ${v.ratios.qemuRss.toFixed(2)});`,
    `daemon ${mib(p.daemonIdleRssBytes)} before the VMIs, ${mib(p.daemonLoadedRssBytes)} with ${v.vmis} running: ${
      p.daemonRssPerVmiBytes > 0 ? `${(p.daemonRssPerVmiBytes / 1024).toFixed(0)} KiB per VMI (${(v.ratios.daemonPerVmiOverQemu * 100).toFixed(1)}% of one guest's QEMU).` : 'no growth RSS can resolve (V8\'s heap moves by megabytes between samples).'
    }`,
    '',
  ];
}
