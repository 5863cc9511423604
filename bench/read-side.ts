// The read side of the API server end to end: the real daemon (`pxevirt up`, controllers off) as
// a child process, COUNT VMIs created over HTTPS (16 in flight), then the daemon's memory — RSS,
// and how much of it is V8's heap pages, malloc's main arena and the rest (/proc/PID/smaps) —
// right after the creates and after 10 quiet seconds, then 20 lists of one namespace timed to
// their last byte. bench/api.ts measures everything; this measures only what the read side
// changes, in a third of the time. Node flags for the daemon (to compare) as extra arguments:
//   node --import tsx bench/read-side.ts [COUNT] [-- NODE_FLAG…]     prints JSON
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startDaemonProcess } from '../test/api/daemon-process.ts';

const dashes = process.argv.indexOf('--');
const count = Number((dashes === 2 ? undefined : process.argv[2]) ?? 10_000);
const nodeArgs = dashes > 0 ? process.argv.slice(dashes + 1) : [];
const concurrency = 16;
const lists = 20;
const nsVmis = (ns: string) => `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances`;
const seed = parseYaml(readFileSync('/work/shared/seed-scenario/vmi-pxe-boot.yaml', 'utf8')) as { spec: { domain: { devices: { interfaces: Array<Record<string, unknown>> } } } };
const ns = (i: number) => `bench-${i % 4}`;
const body = (i: number) => {
  const vmi = structuredClone(seed) as Record<string, unknown> & typeof seed;
  vmi.apiVersion = 'kubevirt.io/v1';
  vmi.metadata = { name: `vmi-pxe-boot-${String(i).padStart(5, '0')}`, namespace: ns(i), labels: { special: 'vmi-pxe-boot', bench: 'api' } };
  const mac = (i + 1).toString(16).padStart(6, '0').match(/../g)!.join(':');
  for (const iface of vmi.spec.domain.devices.interfaces) if (iface.macAddress) iface.macAddress = `de:00:00:${mac}`;
  delete vmi.status;
  return vmi;
};
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const mib = (kb: number) => Math.round((kb / 1024) * 10) / 10;

/** RSS of `pid` split by where it lives: V8's heap pages (anonymous mappings of at most 1 MiB), malloc's main arena ([heap]), other anonymous memory, files. */
function memoryOf(pid: number) {
  const parts = { v8PagesMiB: 0, mallocMainMiB: 0, otherAnonMiB: 0, filesMiB: 0, rssMiB: 0 };
  let part: keyof typeof parts = 'otherAnonMiB';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const kb = (parseInt(m[2]!, 16) - parseInt(m[1]!, 16)) / 1024;
      part = m[3] === '[heap]' ? 'mallocMainMiB' : m[3] && !m[3].startsWith('[') ? 'filesMiB' : kb <= 1024 ? 'v8PagesMiB' : 'otherAnonMiB';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB$/.exec(line);
    if (rss) (parts[part] += Number(rss[1])), (parts.rssMiB += Number(rss[1]));
  }
  for (const k of Object.keys(parts) as Array<keyof typeof parts>) parts[k] = mib(parts[k]);
  return parts;
}

const dataDir = mkdtempSync(join(tmpdir(), 'pxevirt-bench-read-'));
const cleanups: Array<() => unknown> = [];
try {
  const loadAtStart = loadavg()[0];
  const d = await startDaemonProcess({ after: (fn) => void cleanups.push(fn) }, dataDir, { controllers: false, ...(nodeArgs.length > 0 ? { nodeArgs } : {}) });
  const pid = d.child.pid!;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: readFileSync(join(dataDir, 'ca.crt')) });
  const call = (method: string, path: string, payload?: unknown) =>
    new Promise<{ status: number; bytes: number }>((done, fail) => {
      const headers: Record<string, string> = { authorization: `Bearer ${d.token}`, accept: 'application/json' };
      if (payload !== undefined) headers['content-type'] = 'application/json';
      const req = request({ host: '127.0.0.1', port: d.port, method, path, agent, headers }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => (res.statusCode! < 300 ? done({ status: res.statusCode!, bytes }) : fail(new Error(`${method} ${path}: ${res.statusCode}`))));
        res.on('error', fail);
      });
      req.on('error', fail);
      req.end(payload === undefined ? undefined : JSON.stringify(payload));
    });
  for (let k = 0; k < 4; k++) await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${k}` } });
  await Promise.all(Array.from({ length: concurrency }, () => call('GET', nsVmis('default'))));
  await sleep(2_000);
  const idle = memoryOf(pid);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      await call('POST', nsVmis(ns(i)), body(i));
    }
  }));
  const createSeconds = (performance.now() - t0) / 1000;
  await sleep(1_000);
  const afterCreates = memoryOf(pid);
  const loadAfterCreates = loadavg()[0];
  await sleep(10_000);
  const quiet = memoryOf(pid);
  const samples: number[] = [];
  let listBytes = 0;
  for (let k = 0; k < lists; k++) {
    const t = performance.now();
    listBytes = (await call('GET', nsVmis(ns(k)))).bytes;
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  await sleep(1_000);
  const end = memoryOf(pid);
  agent.destroy();
  await d.stop();
  const per = (m: { rssMiB: number }) => Math.round(((m.rssMiB - idle.rssMiB) * 2 ** 20) / count);
  process.stdout.write(`${JSON.stringify({
    objects: count,
    daemonNodeArgs: nodeArgs,
    loadAverage: { start: loadAtStart, afterCreates: loadAfterCreates, end: loadavg()[0] },
    createsPerSecond: Math.round(count / createSeconds),
    memory: { idle, afterCreates, quiet, end },
    rssPerObjectBytes: { afterCreates: per(afterCreates), quiet: per(quiet), end: per(end) },
    listNamespace: { items: count / 4, bytes: listBytes, p50Ms: Math.round(samples[lists / 2]! * 10) / 10, p99Ms: Math.round(samples[lists - 1]! * 10) / 10 },
  }, null, 2)}\n`);
} finally {
  for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}
