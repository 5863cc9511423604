// A 2,500-item namespace list's CPU time in-process, to the bytes the adapter writes (no socket,
// no TLS): the handler and the store of the checkout at ROOT (default: this one), 2,500 VMIs of
// 1.2 KB stored directly, 20 lists to warm up, then 100 timed. CPU time, which the machine's load
// changes far less than wall time. ROOT lets the same script measure another tree (e.g. main
// from `git archive`), whose lists may still be one string (it then encodes it as the adapter did).
//   node --import tsx bench/list-cpu.ts [ROOT]     prints JSON
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const root = resolve(process.argv[2] ?? join(fileURLToPath(import.meta.url), '../..'));
const { createApiHandler } = await import(`${root}/src/api/handler.ts`);
const { apiRequest } = await import(`${root}/src/api/handler-fixture.ts`);
const { KINDS } = await import(`${root}/src/resources/kinds.ts`);
const { openSqliteStore } = await import(`${root}/src/store/sqlite-store.ts`);
const chunks = (await import(`${root}/src/api/json-chunks.ts`).catch(() => undefined)) as typeof import('../src/api/json-chunks.ts') | undefined;

const dir = mkdtempSync(join(tmpdir(), 'pxevirt-bench-list-'));
const store = openSqliteStore({ path: join(dir, 'pxevirt.db') });
const handler = createApiHandler({ store, kinds: KINDS, token: 't' });
store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
const seed = parseYaml(readFileSync('/work/shared/seed-scenario/vmi-pxe-boot.yaml', 'utf8')) as Record<string, unknown>;
delete seed.status;
for (let i = 0; i < 2500; i++) {
  store.create({ group: 'kubevirt.io', resource: 'virtualmachineinstances' }, { ...structuredClone(seed), apiVersion: 'kubevirt.io/v1', metadata: { name: `vmi-${i}`, namespace: 'bench', labels: { special: 'vmi-pxe-boot', bench: 'api' } } });
}
await store.durable();
const pool = chunks ? new chunks.ChunkPool() : undefined;
let bytes = 0;
async function list(): Promise<void> {
  let r = handler(apiRequest('GET', '/apis/kubevirt.io/v1/namespaces/bench/virtualmachineinstances', { token: 't' }));
  while (r.body?.deferred) r = await r.body.deferred;
  if (r.status !== 200) throw new Error(`list: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  bytes = 0;
  if (chunks && pool) {
    const chunker = new chunks.JsonChunker(r.body);
    for (let buffer = pool.take(), chunk = chunker.next(buffer); chunk; chunk = chunker.next(buffer)) bytes += chunk.length;
  } else {
    bytes = Buffer.from(`${r.body.text}\n`).length;
  }
}
for (let k = 0; k < 20; k++) await list();
const cpu: number[] = [];
for (let k = 0; k < 100; k++) {
  const c0 = process.cpuUsage();
  await list();
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1e3);
}
cpu.sort((a, b) => a - b);
store.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ root, items: 2500, bytes, cpuP50Ms: cpu[50], cpuP90Ms: cpu[90], loadAverage: loadavg()[0] })}\n`);
