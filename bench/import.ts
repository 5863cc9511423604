// An http DataVolume import of a qcow2 image against its peer, `curl` + `qemu-img convert` of
// the same file from the same local HTTP server (Node's http on loopback streaming the file from
// disk), RUNS rounds interleaved, medians. The image: SIZE MiB of random bytes as qcow2 (no
// compression to favour either side). pxevirt: `pxevirt up` with its controllers; the
// DataVolume (storage class `local`, raw, like the peer's output) is POSTed over HTTPS and its
// status polled every 50 ms: POST sent → phase Succeeded. Peer: spawn curl → qemu-img exits.
// Each round's claim / output is deleted before the next.
//   node --import tsx bench/import.ts [SIZE_MIB [RUNS]]   prints the JSON result and the table
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startDaemonProcess } from '../test/api/daemon-process.ts';
import type { TestContextLike } from '../test/helpers/netns.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const DVS = '/apis/cdi.kubevirt.io/v1beta1/namespaces/default/datavolumes';

export interface ImportBenchResult {
  name: 'import';
  sizeMiB: number;
  qcow2Bytes: number;
  runs: number;
  pxevirt: { medianMs: number; runsMs: number[] };
  peer: { what: string; medianMs: number; runsMs: number[] };
  /** The peer's output flushed too (`sync -f`), as pxevirt's import fsyncs the disk before the claim is replaced. */
  peerSynced: { medianMs: number; runsMs: number[] };
  /** pxevirt median / peer median: the goal is at most 1. */
  ratio: number;
  /** pxevirt median / synced peer median (the same durability). */
  ratioSynced: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/** SIZE MiB of random bytes written as a qcow2 under `dir`. */
async function makeQcow2(dir: string, sizeMiB: number): Promise<string> {
  const raw = join(dir, 'src.raw');
  const handle = await open(raw, 'w');
  for (let i = 0; i < sizeMiB; i++) await handle.write(randomBytes(MiB));
  await handle.close();
  const qcow2 = join(dir, 'image.qcow2');
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
  await rm(raw);
  return qcow2;
}

export async function benchImport(scope: TestContextLike, options: { sizeMiB?: number; runs?: number; log?: (t: string) => void } = {}): Promise<ImportBenchResult> {
  const sizeMiB = options.sizeMiB ?? 256;
  const runs = options.runs ?? 3;
  const log = options.log ?? (() => undefined);
  const work = await mkdtemp(join(tmpdir(), 'pxevirt-bench-import-'));
  scope.after(() => rm(work, { recursive: true, force: true }));
  const qcow2 = await makeQcow2(work, sizeMiB);
  const qcow2Bytes = (await stat(qcow2)).size;
  const server = createServer((req, res) => {
    if (req.url !== '/image.qcow2') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': qcow2Bytes, 'content-type': 'application/octet-stream' });
    createReadStream(qcow2).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  scope.after(() => new Promise<void>((ok) => server.close(() => ok())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/image.qcow2`;
  const d = await startDaemonProcess(scope, undefined, { controllers: true });
  const size = `${sizeMiB + 16}Mi`;

  const viaPxevirt = async (name: string): Promise<number> => {
    const body = JSON.stringify({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name }, spec: { source: { http: { url } }, storage: { resources: { requests: { storage: size } } } } });
    const started = performance.now();
    const created = await d.http('POST', DVS, { body, contentType: 'application/json' });
    if (created.status !== 201) throw new Error(`POST DataVolume ${name}: expected 201, found ${created.status}: ${created.body}`);
    for (;;) {
      const phase = ((await d.http('GET', `${DVS}/${name}`)).json().status as { phase?: string } | undefined)?.phase;
      if (phase === 'Succeeded') break;
      if (phase === 'Failed') throw new Error(`DataVolume ${name} Failed: ${(await d.http('GET', `${DVS}/${name}`)).body}`);
      if (performance.now() - started > 600_000) throw new Error(`DataVolume ${name} not Succeeded after 600 s`);
      await sleep(50);
    }
    const ms = performance.now() - started;
    await d.http('DELETE', `${DVS}/${name}`);
    return ms;
  };
  const viaPeer = async (): Promise<{ ms: number; syncedMs: number }> => {
    const download = join(work, 'peer.qcow2');
    const out = join(work, 'peer.raw');
    const started = performance.now();
    await run('curl', ['-sS', '--fail', '-o', download, url]);
    await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', download, out]);
    const ms = performance.now() - started;
    await run('sync', ['-f', out]);
    const syncedMs = performance.now() - started;
    await rm(download);
    await rm(out);
    return { ms, syncedMs };
  };

  const mine: number[] = [];
  const peer: number[] = [];
  const synced: number[] = [];
  await viaPeer(); // warm the page cache for the served file, for both sides alike
  for (let i = 0; i < runs; i++) {
    mine.push(await viaPxevirt(`bench-${i}`));
    const p = await viaPeer();
    peer.push(p.ms);
    synced.push(p.syncedMs);
    log(`  import round ${i + 1}: pxevirt ${(mine[i]! / 1000).toFixed(2)} s, curl + qemu-img ${(p.ms / 1000).toFixed(2)} s (${(p.syncedMs / 1000).toFixed(2)} s with sync)`);
  }
  await d.stop();
  const round = (xs: number[]) => xs.map((x) => Math.round(x));
  return {
    name: 'import',
    sizeMiB,
    qcow2Bytes,
    runs,
    pxevirt: { medianMs: Math.round(median(mine)), runsMs: round(mine) },
    peer: { what: '`curl -o image.qcow2 URL && qemu-img convert -f qcow2 -O raw image.qcow2 disk.raw`', medianMs: Math.round(median(peer)), runsMs: round(peer) },
    peerSynced: { medianMs: Math.round(median(synced)), runsMs: round(synced) },
    ratio: Number((median(mine) / median(peer)).toFixed(2)),
    ratioSynced: Number((median(mine) / median(synced)).toFixed(2)),
  };
}

/** Where the time goes (measured while writing this bench; see docs/benchmarks.md). */
export const IMPORT_PROFILE_NOTES = [
  'Where pxevirt\'s time goes (`node --cpu-prof` on the daemon over three 256 MiB imports, and the importer\'s steps timed',
  'alone): the daemon is idle 68% of the time and its busiest function is the file write of the download (`writeBuffer`, 6%);',
  'the download itself runs at curl\'s speed from the same server (1.1–1.8 s vs 0.8–1.6 s) and the conversion is the same',
  '`qemu-img convert`. What the peer does not do: the import fsyncs the 256 MiB disk before it replaces the claim (0.6 s',
  'here — the synced row), and the controller\'s steps around it (claim provisioned, status written once a second, the',
  'final status write; about 0.2–0.5 s): by those steps about 1.3 on a quiet machine (an estimate). The shared disk moves both sides by',
  'seconds between rounds. Beating the peer would take overlapping download and conversion, which qcow2 does not allow',
  '(qemu-img needs random access to it); a raw source is renamed into place with no conversion at all.',
];

export function renderImport(r: ImportBenchResult): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    `## DataVolume http import, ${r.sizeMiB} MiB qcow2 (${(r.qcow2Bytes / MiB).toFixed(0)} MiB on the wire)`,
    '',
    'bench/import.ts: the same file from the same local HTTP server (loopback). pxevirt: POST the DataVolume →',
    `phase Succeeded (storage class \`local\`, raw). Peer: ${r.peer.what}. ${r.runs} rounds, interleaved.`,
    '',
    '| | median | runs |',
    '|---|---|---|',
    `| pxevirt DataVolume | ${s(r.pxevirt.medianMs)} | ${r.pxevirt.runsMs.map(s).join(', ')} |`,
    `| curl + qemu-img convert | ${s(r.peer.medianMs)} | ${r.peer.runsMs.map(s).join(', ')} |`,
    `| the same, then \`sync -f disk.raw\` | ${s(r.peerSynced.medianMs)} | ${r.peerSynced.runsMs.map(s).join(', ')} |`,
    '',
    `**pxevirt / peer: ${r.ratio.toFixed(2)}** (goal: at most 1); against the peer with the same durability (synced): ${r.ratioSynced.toFixed(2)}.`,
    '',
    ...IMPORT_PROFILE_NOTES,
    '',
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cleanups: Array<() => unknown> = [];
  try {
    const result = await benchImport({ after: (fn) => void cleanups.push(fn) }, { sizeMiB: Number(process.argv[2] ?? 256), runs: Number(process.argv[3] ?? 3), log: (t) => process.stderr.write(`${t}\n`) });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n${renderImport(result).join('\n')}\n`);
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
}
